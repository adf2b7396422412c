// Billing (Stripe): the caller's billing state, and the calls that start a checkout, open the
// customer portal, cancel at the period's end and resume. Checkout and portal answer a Stripe
// URL the browser goes to; cancel and resume answer the new billing state.
import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { keys } from "../api/keys";
import type { BillingView, PaidPlan, PlanId, RedirectUrl } from "../components/billing/types";

/** The billing state's query key (under its own root, beside `keys.planUsage`). */
export const billingKey = ["billing"] as const;

// The spec does not list billing yet: the typed client, read loosely (same token, refresh and
// `ApiError`s).
interface Reply {
  data?: unknown;
  response: Response;
}
interface LooseClient {
  GET(path: string): Promise<Reply>;
  POST(path: string, init?: { body?: unknown }): Promise<Reply>;
}
const loose = api as unknown as LooseClient;

async function body<T>(reply: Promise<Reply>): Promise<T> {
  return (await data(reply)) as T;
}

/** `refetchInterval` (ms) polls, e.g. while a checkout is being confirmed. */
export function useBilling(refetchInterval: number | false = false) {
  return useQuery({
    queryKey: billingKey,
    queryFn: () => body<BillingView>(loose.GET("/api/v1/billing")),
    refetchInterval,
  });
}

/** The plan and its limits, polled while a checkout is being confirmed (the same query as
 * `usePlanUsage`, which every other reader shares). */
export function usePlanUsagePolling(refetchInterval: number | false) {
  return useQuery({
    queryKey: keys.planUsage,
    queryFn: () => data(api.GET("/api/v1/plan-usage")),
    refetchInterval,
  });
}

export function startCheckout(plan: PaidPlan): Promise<RedirectUrl> {
  return body<RedirectUrl>(loose.POST("/api/v1/billing/checkout", { body: { plan } }));
}

export function openPortal(): Promise<RedirectUrl> {
  return body<RedirectUrl>(loose.POST("/api/v1/billing/portal"));
}

export function cancelSubscription(): Promise<BillingView> {
  return body<BillingView>(loose.POST("/api/v1/billing/cancel"));
}

export function resumeSubscription(): Promise<BillingView> {
  return body<BillingView>(loose.POST("/api/v1/billing/resume"));
}

/** The plans from smallest to biggest. */
export const PLAN_RANK: Record<PlanId, number> = { free: 0, premium: 1, educator: 2 };

/** Whether a subscription still counts for Stripe (a new checkout is refused while it does). */
export function isLive(status: string): boolean {
  return status !== "canceled" && status !== "incomplete_expired";
}
