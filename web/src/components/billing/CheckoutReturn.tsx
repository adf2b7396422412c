// Back from Stripe Checkout (`/plan?checkout=success&session_id=…` or `?checkout=canceled`).
// A success is not taken on trust: the page says it is confirming and asks the server about
// every second until the subscription shows a paid plan and the plan's limits follow (Stripe's
// webhook is what changes them), then says which plan the user is on. After a minute it says
// the confirmation is taking longer and keeps asking, less often.
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { planRank, useBilling, usePlanUsagePolling } from "../../hooks/billing";

const PATIENCE_MS = 60_000;

export function CheckoutReturn() {
  const [params, setParams] = useSearchParams();
  // Read once: the address is tidied below, the message stays.
  const [outcome] = useState(() => params.get("checkout"));
  const [slow, setSlow] = useState(false);
  const [confirmed, setConfirmed] = useState(false);
  const confirming = outcome === "success" && !confirmed;
  const interval = confirming ? (slow ? 5_000 : 1_000) : false;
  const billing = useBilling(interval);
  const usage = usePlanUsagePolling(interval);

  // The address without the checkout's parameters, so a reload does not confirm again.
  useEffect(() => {
    if (!params.has("checkout") && !params.has("session_id")) return;
    const next = new URLSearchParams(params);
    next.delete("checkout");
    next.delete("session_id");
    setParams(next, { replace: true });
  }, [params, setParams]);

  useEffect(() => {
    if (outcome !== "success") return;
    const t = setTimeout(() => setSlow(true), PATIENCE_MS);
    return () => clearTimeout(t);
  }, [outcome]);

  const sub = billing.data?.subscription;
  const paid =
    !!sub &&
    planRank(sub.plan) > 0 &&
    (sub.status === "active" || sub.status === "trialing") &&
    usage.data?.plan === sub.plan;
  useEffect(() => {
    if (confirming && paid) setConfirmed(true);
  }, [confirming, paid]);

  if (outcome !== "success" && outcome !== "canceled") return null;
  return (
    <div role="status" className="billing-return">
      {outcome === "canceled" ? (
        <p className="notice-box">Checkout was canceled; nothing was charged.</p>
      ) : confirmed && usage.data ? (
        <p className="success-box">
          <strong>You are now on the {usage.data.plan_name} plan.</strong> Your new limits are below.
        </p>
      ) : slow ? (
        <p className="notice-box">
          Confirming your payment is taking longer than usual. This page updates when Stripe confirms it; you can also
          leave it and come back later.
        </p>
      ) : (
        <p className="notice-box billing-confirming">
          <span className="billing-spinner" aria-hidden="true" />
          Confirming your payment…
        </p>
      )}
    </div>
  );
}
