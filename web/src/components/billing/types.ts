// The billing API's shapes (`GET /api/v1/billing` and the answers of checkout, portal, cancel
// and resume). Hand-typed from the contract until the spec lists billing; then aliases of the
// generated schema.

export type PaidPlan = "premium" | "educator";
export type PlanId = "free" | PaidPlan;

export interface BillingPlan {
  plan: PaidPlan;
  name: string;
  available: boolean;
}

export interface BillingSubscription {
  id: string;
  plan: PlanId;
  /** Stripe's status: active, trialing, past_due, unpaid, canceled, incomplete, incomplete_expired, paused. */
  status: string;
  /** Unix ms. */
  current_period_end: number | null;
  cancel_at_period_end: boolean;
  /** Unix ms. */
  past_due_since: number | null;
  /** Unix ms: the paid plan is kept until then while past_due. */
  grace_until: number | null;
}

export interface BillingView {
  configured: boolean;
  plans: BillingPlan[];
  customer: boolean;
  subscription: BillingSubscription | null;
  notice: string | null;
}

export interface RedirectUrl {
  url: string;
}
