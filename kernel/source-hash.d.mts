/** Relative POSIX paths of the hashed kernel sources (Cargo.toml, Cargo.lock, src/**\/*.rs), sorted. */
export function kernelSourceFiles(kernelDir: string): string[];
/** SHA-256 hex over the kernel sources and the sorted feature list (stale-binary guard, spec §0.1/§8.3). */
export function kernelSourceHash(kernelDir: string, features?: string[]): string;
