// Cohorts in words and links: an invite link from a code, the caller's place in a cohort, and
// which publish gates an audience requires (a cohort: a backtest with costs and a disclosure).
import type { Cohort } from "../api/types";

/** The link that opens the join form with the code filled in. */
export function inviteLink(code: string, origin = window.location.origin): string {
  return `${origin}/cohorts/join/${encodeURIComponent(code)}`;
}

export function roleWords(c: Pick<Cohort, "role">): string {
  return c.role === "educator" ? "You teach it" : "You are a member";
}

const COHORT_GATES = new Set(["backtest_with_costs", "disclosure"]);

/** Whether a gate must pass to publish to `audience` (`public`: every gate). */
export function gateRequired(gate: string, audience: "public" | "cohort"): boolean {
  return audience === "public" || COHORT_GATES.has(gate);
}

/** `n member(s)`. */
export function memberWords(n: number): string {
  return `${n} ${n === 1 ? "member" : "members"}`;
}
