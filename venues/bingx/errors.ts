/**
 * BingX swap error codes, in both numberings (docs/bingx-protocol.md §8).
 *
 * On 2025-10-16 BingX renumbered several codes (80014/80001/109414 → 109400, 80016 → 109421,
 * 80018/80017 → 109422, 80012 → 109500, 80020 → 109403, 80019 → 109423, 100409/100410 → 109429).
 * The mock emits one generation (quirk `newErrorCodes`, default true); the adapter accepts both.
 */

/** Error classes whose number depends on the generation. */
export type GenerationalError =
  | "INVALID_PARAMETER" // 109400 / 80014
  | "ORDER_NOT_EXIST" // 109421 / 80016
  | "ORDER_ALREADY_FILLED" // 109422 / 80018 (cancel of a filled / closed order)
  | "POSITION_NOT_EXIST" // 109422 / 80017
  | "SYSTEM_ERROR" // 109500 / 80012
  | "RISK_FORBIDDEN" // 109403 / 80020
  | "ORDER_PROCESSING" // 109423 / 80019
  | "RATE_LIMITED"; // 109429 / 100410

const CODES: Record<GenerationalError, { newCode: number; oldCode: number }> = {
  INVALID_PARAMETER: { newCode: 109400, oldCode: 80014 },
  ORDER_NOT_EXIST: { newCode: 109421, oldCode: 80016 },
  ORDER_ALREADY_FILLED: { newCode: 109422, oldCode: 80018 },
  POSITION_NOT_EXIST: { newCode: 109422, oldCode: 80017 },
  SYSTEM_ERROR: { newCode: 109500, oldCode: 80012 },
  RISK_FORBIDDEN: { newCode: 109403, oldCode: 80020 },
  ORDER_PROCESSING: { newCode: 109423, oldCode: 80019 },
  RATE_LIMITED: { newCode: 109429, oldCode: 100410 },
};

/** The code the venue sends for `kind` in the given generation (docs/bingx-protocol.md §8). */
export function errorCode(kind: GenerationalError, newErrorCodes: boolean): number {
  const c = CODES[kind];
  return newErrorCodes ? c.newCode : c.oldCode;
}

/** Generation-independent codes (same number before and after 2025-10-16; docs/bingx-protocol.md §8). */
export const CODE = {
  SIGNATURE_FAILED: 100001,
  INVALID_ARGUMENTS: 100400,
  TIMESTAMP_MISMATCH: 100421,
  INTERNAL_ERROR: 100500,
  INSUFFICIENT_MARGIN: 101204,
  NO_POSITION_TO_CLOSE: 101205,
  PRICE_OUT_OF_BAND: 101211,
  POST_ONLY_WOULD_TAKE: 101215,
  REDUCE_ONLY_WOULD_INCREASE: 101290,
  ORDER_SIZE_ERROR: 101400, // catch-all: minimum notional / size, duplicate clientOrderID on VST
  LEVERAGE_ABOVE_MAX: 101414,
  POSITION_MODE_REFUSED: 109401,
  MIN_NOMINAL_VARIANT: 110425,
} as const;

/** What a venue code means to the adapter, whichever generation sent it. */
export type CodeClass =
  | "RATE_LIMITED"
  | "ORDER_NOT_EXIST"
  | "ORDER_ALREADY_FILLED" // also "order status illegal" / "position not exist" (109422 is shared)
  | "SYSTEM_ERROR"
  | "INVALID_PARAMETER"
  | "OTHER";

/**
 * Classify a venue error code, accepting both generations (docs/bingx-protocol.md §8, §11.6).
 * 109422 is shared by "order already filled" and "position not exist" in the new numbering; for a
 * cancel it means the order can no longer be cancelled.
 */
export function classifyCode(code: number): CodeClass {
  switch (code) {
    case 109429:
    case 100410:
    case 100409:
      return "RATE_LIMITED";
    case 109421:
    case 80016:
      return "ORDER_NOT_EXIST";
    case 109422:
    case 80018:
    case 80017:
      return "ORDER_ALREADY_FILLED";
    case 109500:
    case 80012:
    case 100500:
      return "SYSTEM_ERROR";
    case 109400:
    case 80014:
    case 80001:
    case 109414:
    case 100400:
      return "INVALID_PARAMETER";
    default:
      return "OTHER";
  }
}
