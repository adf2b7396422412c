// Words and dates of billing: a plan's name, a Stripe status in plain words, the day a period
// ends and the moment a grace period ends (local time: these are the user's own dates).
import type { BillingView, PlanId } from "./types";

const PLAN_NAMES: Record<PlanId, string> = { free: "Free", premium: "Premium", educator: "Educator" };

/** The plan's name: the server's (from `plans`), else the usual one. */
export function planName(plan: PlanId | string, view?: BillingView | null): string {
  return view?.plans.find((p) => p.plan === plan)?.name ?? PLAN_NAMES[plan as PlanId] ?? plan;
}

const STATUS_WORDS: Record<string, string> = {
  active: "Active",
  trialing: "Trial",
  past_due: "Payment failed: waiting for a new payment",
  unpaid: "Unpaid",
  canceled: "Canceled",
  incomplete: "Waiting for the first payment",
  incomplete_expired: "The first payment did not go through",
  paused: "Paused",
};

export function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? status.replace(/_/g, " ");
}

/** A day, in the user's words: "March 5, 2026". */
export function day(ms: number): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "long" }).format(new Date(ms));
}

/** A day and time: "March 5, 2026 at 2:05 PM" (grace periods can end within the day). */
export function dayTime(ms: number): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" }).format(new Date(ms));
}
