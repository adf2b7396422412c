// Templates and their review in words: a template's status, each publish gate, a compliance
// event's state, and the one reading of a risk review's evidence (its payload is open in the spec).
import type { Gate } from "../api/types";
import { isObject } from "./json";

const STATUS_WORDS: Record<string, string> = {
  pending_review: "Pending review",
  published: "Published",
  rejected: "Rejected",
  taken_down: "Taken down",
  superseded: "Replaced by a newer version",
};

export function templateStatusWords(status: string): string {
  return STATUS_WORDS[status] ?? status.replace(/_/g, " ");
}

const GATE_WORDS: Record<string, string> = {
  backtest_with_costs: "A backtest of this version with fees and slippage",
  min_trades: "At least 30 trades",
  no_critical_warnings: "No critical warning",
  out_of_sample: "Tested out of sample (walk-forward)",
  disclosure: "A risk disclosure",
};

export function gateWords(gate: string): string {
  return GATE_WORDS[gate] ?? gate.replace(/_/g, " ");
}

const EVENT_STATUS_WORDS: Record<string, string> = {
  open: "Waiting for a decision",
  approved: "Approved",
  rejected: "Rejected",
  escalated: "Escalated to an admin",
};

export function eventStatusWords(status: string): string {
  return EVENT_STATUS_WORDS[status] ?? status;
}

export function eventTypeWords(type: string): string {
  return ({ risk_review: "Review before publishing", takedown: "Takedown" }[type] ?? type.replace(/_/g, " "));
}

/** The machine gates a risk review's payload holds, each with what it found. */
export function payloadGates(payload: Record<string, unknown>): Gate[] {
  const gates = payload.gates;
  if (!Array.isArray(gates)) return [];
  return gates.flatMap((g) =>
    isObject(g) && typeof g.gate === "string" && typeof g.passed === "boolean" && typeof g.detail === "string"
      ? [{ gate: g.gate, passed: g.passed, detail: g.detail }]
      : [],
  );
}

/** A warning code on a card in words. */
export function warningWords(code: string): string {
  return (
    {
      one_trade_dominates: "One trade made most of the profit",
      few_trades: "Few trades",
      never_entered: "Never entered a trade",
      data_gaps: "Gaps in the data",
    }[code] ?? code.replace(/_/g, " ")
  );
}

/** What a notification's link opens, by its kind. */
export function notificationLinkWords(kind: string): string {
  if (kind === "governance_task") return "Open the review queue";
  if (kind === "template_review") return "Open my templates";
  if (kind.startsWith("sweep")) return "Open the sweep";
  if (kind.startsWith("paper")) return "Open the paper run";
  if (kind.startsWith("robustness")) return "Open the check";
  if (kind.startsWith("webhook")) return "Open webhooks";
  return "Open the result";
}

/** Whether the user may decide compliance events (the review queue and takedowns). */
export function canReview(user: { reviewer: boolean; role: string }): boolean {
  return user.reviewer || user.role === "admin";
}
