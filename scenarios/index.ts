/**
 * The scenario library (scenarios/README.md): named scenarios in the sim/types.ts `Scenario`
 * schema, the same JSON shape `dita run --file F` loads.
 *
 * - `listScenarios()`: every built-in scenario, validated, in a stable order (gamut, flaws, random).
 * - `getScenario(name)`: one by name, or undefined.
 * - `loadScenarioFile(path)`: a scenario from a JSON file, validated; throws ScenarioError naming
 *   the bad field and value (unknown fields are rejected), or a ScenarioError for field "(file)"
 *   when the file cannot be read or is not JSON.
 *
 * Scenarios are returned as fresh deep copies: a caller mutating one cannot change the library.
 */
import { readFileSync } from "node:fs";
import type { Scenario } from "../sim/types.js";
import { flawScenarios } from "./library/flaws.js";
import { gamutScenarios } from "./library/gamut.js";
import { randomScenarios } from "./library/random.js";
import { oracleScenarios } from "./library/oracle.js";
import { ScenarioError, validateScenario } from "./validate.js";

export { ScenarioError, validateScenario } from "./validate.js";

let cache: Scenario[] | undefined;

function library(): Scenario[] {
  if (!cache) {
    const all = [...gamutScenarios(), ...flawScenarios(), ...oracleScenarios(), ...randomScenarios()];
    const seen = new Set<string>();
    for (const s of all) {
      // A library scenario that fails validation is a bug in this folder: fail loudly, naming it.
      try {
        validateScenario(JSON.parse(JSON.stringify(s)));
      } catch (err) {
        throw new Error(`built-in scenario ${s.name}: ${(err as Error).message}`);
      }
      if (seen.has(s.name)) throw new Error(`built-in scenario name ${s.name} is defined twice`);
      seen.add(s.name);
    }
    cache = all;
  }
  return cache;
}

function copy(s: Scenario): Scenario {
  return JSON.parse(JSON.stringify(s)) as Scenario;
}

/** Every built-in scenario (deep copies), validated, in a stable order. */
export function listScenarios(): Scenario[] {
  return library().map(copy);
}

/** The built-in scenario named `name` (a deep copy), or undefined. */
export function getScenario(name: string): Scenario | undefined {
  const s = library().find((x) => x.name === name);
  return s ? copy(s) : undefined;
}

/**
 * Load and validate a scenario from a JSON file (the `dita run --file` format).
 * @throws ScenarioError naming the bad field and value; field "(file)" when unreadable or not JSON.
 */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ScenarioError("(file)", path, `cannot read: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError("(file)", path, `not valid JSON: ${(err as Error).message}`);
  }
  return validateScenario(value);
}
