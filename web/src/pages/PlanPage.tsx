// The plan: its limits, what is used today, and billing (upgrade through Stripe Checkout, the
// customer portal, cancel and resume; the return from a checkout is confirmed before it is told).
import { Link } from "react-router-dom";
import { useTitle } from "../hooks/useTitle";
import { usePlanUsage } from "../hooks/queries";
import { ErrorMessage } from "../components/Field";
import { localTime, relative } from "../lib/format";
import type { Usage } from "../api/types";
import { BillingSection } from "../components/billing/BillingSection";
import { CheckoutReturn } from "../components/billing/CheckoutReturn";
import { TwoFactorSection } from "./TwoFactorSection";
import { VerifyEmailBanner } from "../components/account/VerifyEmailBanner";
import { YourDataSection } from "../components/account/YourDataSection";
import "../styles/billing.css";

export default function PlanPage() {
  useTitle("Your plan");
  const plan = usePlanUsage();
  const p = plan.data;
  return (
    <>
      <h1>Your plan</h1>
      <VerifyEmailBanner />
      <CheckoutReturn />
      {plan.isLoading && <p role="status">Loading…</p>}
      <ErrorMessage error={plan.error} />
      {p && (
        <>
          <p className="lead">
            You are on the <strong>{p.plan_name}</strong> plan.
          </p>
          <section className="section card" aria-labelledby="usage-title">
            <h2 id="usage-title">What you use</h2>
            <dl className="facts plan-facts">
              <UsageRow label="Backtests today" u={p.backtests_today} />
              <UsageRow label="Runs at the same time" u={p.concurrent_runs} />
              <UsageRow label="Saved strategies" u={p.strategies} />
              <div>
                <dt>Combinations in one sweep</dt>
                <dd>up to {p.max_sweep_combinations}</dd>
              </div>
              <div>
                <dt>Past runs kept in the history</dt>
                <dd>{p.max_history_runs}</dd>
              </div>
            </dl>
          </section>
          <BillingSection usage={p} />
        </>
      )}
      <TwoFactorSection />
      <section className="section card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhooks</h2>
        <p>Send your notifications to your own server or tools as signed JSON messages.</p>
        <Link to="/settings/webhooks" className="button">
          Manage webhooks
        </Link>
      </section>
      <YourDataSection />
    </>
  );
}

function UsageRow({ label, u }: { label: string; u: Usage }) {
  const full = u.used >= u.limit;
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        {u.used} of {u.limit}
        {full && <strong> · limit reached</strong>}
        {u.resets_at && (
          <span className="meta">
            {" "}
            · starts again {relative(Date.parse(u.resets_at))} ({localTime(Date.parse(u.resets_at))})
          </span>
        )}
      </dd>
    </div>
  );
}
