//! DITAv2 trade-execution kernel: sans-IO slot state machine, exact-decimal fill bookkeeping and
//! the exchange-anchored ledger, compiled to WebAssembly (abi.rs) and natively (tests, bench).
//! See kernel/README.md for the API, the ABI layout, rounding rules and the ledger model.

pub mod abi;
pub mod api;
pub mod batch;
pub mod dec;
pub mod diff;
pub mod fields;
pub mod hash_store;
pub mod image;
pub mod input;
pub mod kernel;
pub mod ledger;
pub mod model;
pub mod pool_alloc;
pub mod stream;
pub mod typed;
pub mod validate;
