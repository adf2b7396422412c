// The robustness lab in words: each check's name and what its level means, and the swept
// parameters of a run turned back into the request's `node.param=…` strings.
import type { Check, Level, SweepAxis, SweepConstraint } from "../api/types";

/** Every check in the order the comparison table shows them. */
export const CHECKS: Check[] = [
  "walk_forward",
  "holdout",
  "trade_shuffle",
  "bootstrap",
  "bar_bootstrap",
  "random_entry",
  "deflated_sharpe",
  "pbo",
  "stability",
];

const CHECK_WORDS: Record<Check, string> = {
  walk_forward: "Walk-forward",
  holdout: "Holdout",
  trade_shuffle: "Trades reshuffled",
  bootstrap: "Trades redrawn",
  bar_bootstrap: "Candles redrawn",
  random_entry: "Random entries",
  deflated_sharpe: "Deflated Sharpe",
  pbo: "Overfitting (PBO)",
  stability: "Neighbouring settings",
};

export function checkWords(check: Check): string {
  return CHECK_WORDS[check] ?? check;
}

const LEVEL_WORDS: Record<Level, string> = { pass: "Pass", caution: "Caution", fail: "Fail", unknown: "Not known" };

export function levelWords(level: Level): string {
  return LEVEL_WORDS[level] ?? level;
}

const CLEAN = (v: number) => String(Number(v.toFixed(10)));

/** One swept parameter as a request string: `fast.period=5..20:5` when its values are evenly
 * spaced (three or more), else `fast.period=5,8,13`. */
export function axisSpec(a: SweepAxis): string {
  const key = `${a.node}.${a.param}`;
  const v = a.values;
  if (v.length >= 3) {
    const step = v[1] - v[0];
    const even = step > 0 && v.every((x, i) => i === 0 || Math.abs(x - v[i - 1] - step) <= Math.abs(step) * 1e-9);
    if (even) return `${key}=${CLEAN(v[0])}..${CLEAN(v[v.length - 1])}:${CLEAN(step)}`;
  }
  return `${key}=${v.map(CLEAN).join(",")}`;
}

/** A sweep's rule as a request string: `fast.period<slow.period`. */
export function constraintSpec(c: SweepConstraint): string {
  return `${c.left}${c.op}${c.right}`;
}

/** A comparison in words: "<" → "smaller than". */
export function opWords(op: string): string {
  return { "<": "smaller than", "<=": "at most", ">": "larger than", ">=": "at least" }[op] ?? op;
}
