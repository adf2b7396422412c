// Billing (Stripe): the caller's billing state, and the calls that start a checkout, open the
// customer portal, cancel at the period's end and resume. Checkout and portal answer a Stripe
// URL the browser goes to; cancel and resume answer the new billing state.
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { BillingSubscription, BillingView, PlanId, RedirectUrl } from "../components/billing/types";

/** The billing state's query key (its own root, beside `keys.planUsage`). */
export const billingKey = ["billing"] as const;

/** `refetchInterval` (ms) polls, e.g. while a checkout is being confirmed. */
export function useBilling(refetchInterval: number | false = false) {
  return useQuery({
    queryKey: billingKey,
    queryFn: () => data(api.GET("/api/v1/billing")),
    refetchInterval,
  });
}

/** The plan and its limits, polled while a checkout is being confirmed or a grace period
 * ends (the same query as `usePlanUsage`, which every other reader shares). */
export function usePlanUsagePolling(refetchInterval: number | false) {
  return useQuery({
    queryKey: keys.planUsage,
    queryFn: () => data(api.GET("/api/v1/plan-usage")),
    refetchInterval,
  });
}

export function startCheckout(plan: string): Promise<RedirectUrl> {
  return data(api.POST("/api/v1/billing/checkout", { body: { plan } }));
}

export function openPortal(): Promise<RedirectUrl> {
  return data(api.POST("/api/v1/billing/portal"));
}

export function cancelSubscription(): Promise<BillingView> {
  return data(api.POST("/api/v1/billing/cancel"));
}

export function resumeSubscription(): Promise<BillingView> {
  return data(api.POST("/api/v1/billing/resume"));
}

const PLAN_RANK: Record<PlanId, number> = { free: 0, premium: 1, educator: 2 };

/** Where a plan stands, smallest (free, 0) to biggest; an unknown one counts as free. */
export function planRank(plan: string): number {
  return PLAN_RANK[plan as PlanId] ?? 0;
}

/** Whether the subscription gives its plan now (as the server decides: paid, or past due
 * within its grace period). While it does, a new checkout is refused. */
export function grants(sub: BillingSubscription): boolean {
  return sub.status === "active" || sub.status === "trialing" || (sub.status === "past_due" && sub.grace_until != null);
}

/** A subscription that failed to pay and no longer gives its plan: its open invoice is paid
 * (or the subscription ended) under Manage billing, not with a second checkout. */
export function owes(sub: BillingSubscription): boolean {
  return (sub.status === "past_due" || sub.status === "unpaid") && !grants(sub);
}
