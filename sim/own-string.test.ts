/**
 * ownString (issue 12, peak RSS of a long run): a kept substring must not keep the frame text it
 * was cut from. Checked on the real heap: a heap snapshot holds only reachable strings.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import { ownString } from "./own-string.js";

/** The marker of frame `n`, built only when asked (so that no other string holds it). */
const marker = (n: number) => `frame-marker-${n}-end`;

/** An 18-character value cut out of a WS-frame-like text of ~60 KB that carries frame `n`'s marker; the frame itself is dropped. */
function valueFromFrame(n: number): string {
  const text = `{"e":"ACCOUNT_UPDATE","m":"${marker(n)}","a":{"B":[{"wb":"100012.34567891234"}]},"pad":"${"x".repeat(60_000)}"}`;
  const at = text.indexOf("100012");
  return text.slice(at, at + 18);
}

/** True when a reachable string of the heap (a snapshot holds only those) contains frame `n`'s marker. */
function frameReachable(n: number): boolean {
  const file = join(tmpdir(), `own-string-${process.pid}-${n}.heapsnapshot`);
  v8.writeHeapSnapshot(file);
  try {
    return readFileSync(file, "utf8").includes(marker(n));
  } finally {
    rmSync(file, { force: true });
  }
}

const kept: string[] = [];

describe("ownString", () => {
  it("returns an equal string; short strings are returned as they are", () => {
    expect(ownString("100012.34567891234")).toBe("100012.34567891234");
    expect(ownString("")).toBe("");
    const short = "0.5";
    expect(ownString(short)).toBe(short);
  });

  it("a kept owned copy does not keep the frame alive, while the plain substring does (V8 sliced strings)", () => {
    kept.push(valueFromFrame(7_114_201)); // the slice itself: its parent frame stays reachable
    kept.push(ownString(valueFromFrame(9_302_577)));
    expect(kept).toEqual(["100012.34567891234", "100012.34567891234"]);
    expect(frameReachable(7_114_201)).toBe(true);
    expect(frameReachable(9_302_577)).toBe(false);
  });
});
