// A block's parameters: whether one matters with the block's other settings (a stop's ATR
// multiple only in ATR mode, a fixed amount only when sizing by amount: the catalogue's
// `used_when`), and a choice's value in words.
import type { UsedWhen } from "../api/types";

interface Param {
  name: string;
  default?: unknown;
  used_when?: UsedWhen | null;
}

/** Whether `param` is used by a block whose parameters are `params` (its catalogue entry's) set
 * to `values` (the rest at their defaults). */
export function paramUsed(param: Param, params: readonly Param[], values: Record<string, unknown> | null | undefined): boolean {
  const when = param.used_when;
  if (!when) return true;
  const value = values?.[when.param] ?? params.find((p) => p.name === when.param)?.default;
  return when.values.includes(String(value));
}

/** A choice's value in words: "percent of equity", "ATR", "reward/risk". */
export function optionWords(v: unknown): string {
  const s = String(v);
  return OPTION_WORDS[s] ?? s.replace(/_/g, " ");
}

const OPTION_WORDS: Record<string, string> = {
  atr: "ATR",
  reward_risk: "reward/risk",
  risk_percent: "risk %",
};
