/**
 * The repository explains itself (issue 15): no source, test or README cites a document that is
 * not in the repository (the design and protocol notes and the seed documents it was built from
 * live outside it), every cited docs/ file exists, and every cited section of docs/bingx-protocol.md,
 * docs/accounting.md and docs/architecture.md is a heading there.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SELF = "docs/citations.test.ts";

/** Tracked *.ts, *.rs and *.md files (what the grep scans), without this file. */
function sources(): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.rs", "*.md"], { cwd: ROOT, encoding: "utf8" });
  return out.split("\n").filter((f) => f !== "" && f !== SELF && !f.startsWith("node_modules/") && existsSync(join(ROOT, f)));
}

// Names of documents outside the repository (built by concatenation so this file does not cite them).
const OUTSIDE = [
  ["DESIGN", ".md"],
  ["PROTOCOL", ".md"],
  ["accounting-exec-fix-spec", ".md"],
  ["kernel-reference", ""],
  ["flaw-catalog", ".md"],
  ["thirteen-structural-flaws", ".md"],
  ["e2e-trace-analysis", ".md"],
  ["/work/", "shared"],
].map(([a, b]) => a + b);

/** "file:line: text" for every line of `files` matching `re`. */
function hits(files: string[], re: RegExp): string[] {
  const out: string[] = [];
  for (const f of files) {
    readFileSync(join(ROOT, f), "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (re.test(line)) out.push(`${f}:${i + 1}: ${line.trim().slice(0, 140)}`);
      });
  }
  return out;
}

/** Section names a docs file offers: "4.4" for a numbered heading ("## §4.4 …"), else the whole heading text after §. */
function sections(doc: string): Set<string> {
  const text = readFileSync(join(ROOT, "docs", doc), "utf8");
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{2,3} §(.+)$/gm)) {
    const num = /^(\d+(?:\.\d+)?)\b/.exec(m[1]);
    out.add(num ? num[1] : m[1].trim());
  }
  return out;
}

describe("citations point into the repository (issue 15)", () => {
  const files = sources();

  it("no file cites a document outside the repository (design notes, protocol notes, seed documents)", () => {
    expect(files.length).toBeGreaterThan(50);
    const escaped = OUTSIDE.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
    expect(hits(files, new RegExp(escaped.join("|")))).toEqual([]);
  });

  it("the check itself finds such a citation (it can fail)", () => {
    const re = new RegExp(OUTSIDE.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"));
    expect(re.test(`see ${OUTSIDE[1]} §6`)).toBe(true);
    expect(re.test("see docs/bingx-protocol.md §6")).toBe(false);
  });

  it("every cited docs/*.md file exists", () => {
    const missing = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(join(ROOT, f), "utf8").matchAll(/\bdocs\/([a-z0-9-]+\.md)/g)) {
        if (!existsSync(join(ROOT, "docs", m[1]))) missing.add(`${f}: docs/${m[1]}`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it("every cited § of bingx-protocol.md, accounting.md and architecture.md is a heading there", () => {
    const docs = ["bingx-protocol.md", "accounting.md", "architecture.md"] as const;
    const have = Object.fromEntries(docs.map((d) => [d, sections(d)]));
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), "utf8");
      for (const d of docs) {
        const re = d === "architecture.md" ? /docs\/architecture\.md [(]?§([A-Z][A-Za-z`' -]*[A-Za-z`])/g : new RegExp(`docs/${d.replace(".", "\\.")} §(\\d+(?:\\.\\d+)?)`, "g");
        for (const m of text.matchAll(re)) {
          // A name quoted in backticks as a whole ("`docs/architecture.md §The simulator`") ends before the closing one.
          const name = (m[1].match(/`/g) ?? []).length % 2 === 1 ? m[1].replace(/`$/, "") : m[1];
          const ok = d === "architecture.md" ? [...have[d]].some((s) => name === s || name.startsWith(`${s} `)) : have[d].has(name);
          if (!ok) bad.push(`${f}: docs/${d} §${name}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
