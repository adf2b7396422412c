// The billing API's shapes, named from the generated schema: `GET /api/v1/billing` and the
// answers of checkout, portal, cancel and resume.
import type { Schemas } from "../../api/client";

export type BillingView = Schemas["BillingView"];
export type BillingPlan = Schemas["PlanOffer"];
export type BillingSubscription = Schemas["SubscriptionView"];
export type RedirectUrl = Schemas["RedirectView"];
export type PlanId = Schemas["PlanTier"];
export type PaidPlan = Exclude<PlanId, "free">;
