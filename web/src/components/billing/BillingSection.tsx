// The plan page's billing: the plan and its subscription (status, when it renews or ends), a
// failed payment's grace period (an alert with the moment the paid plan is kept until and
// "Manage billing" to update the card), the server's notice (a downgrade), and the actions:
// "Upgrade to …" (Stripe Checkout) for the plans above the current one, "Manage billing"
// (Stripe's customer portal), "Cancel subscription" (after saying until when the plan stays)
// and "Resume". Without Stripe configured on the server, upgrading is the administrator's.
import { useEffect, useId, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client";
import { keys } from "../../api/keys";
import type { PlanUsage } from "../../api/types";
import {
  billingKey,
  cancelSubscription,
  grants,
  openPortal,
  owes,
  planRank,
  resumeSubscription,
  startCheckout,
  useBilling,
  usePlanUsagePolling,
} from "../../hooks/billing";
import { ErrorMessage } from "../Field";
import { Modal } from "../Modal";
import { day, dayTime, planName, statusWords } from "./format";
import type { BillingView } from "./types";

type Busy = `checkout-${string}` | "portal" | "cancel" | "resume";

function message(err: unknown): string {
  return err instanceof ApiError ? err.message : "Could not reach the server. Check your connection and try again.";
}

/** Whether `ms` has passed; re-renders when it does (a grace period's end). */
function usePassed(ms: number | null): boolean {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (ms === null) return;
    const wait = ms - Date.now();
    if (wait <= 0) return;
    const t = setTimeout(() => setTick((n) => n + 1), Math.min(wait + 250, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [ms]);
  return ms !== null && Date.now() >= ms;
}

export function BillingSection({ usage }: { usage: PlanUsage }) {
  const titleId = useId();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState<Busy | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [asking, setAsking] = useState(false);

  const billing = useBilling();
  const view = billing.data;
  const sub = view?.subscription ?? null;
  const granting = !!sub && grants(sub);
  const graceUntil = sub?.status === "past_due" ? (sub.grace_until ?? null) : null;
  // Once the grace period has passed, ask until the server has moved the plan down.
  const gracePassed = usePassed(graceUntil);
  useBilling(gracePassed ? 2_000 : false);
  usePlanUsagePolling(gracePassed ? 2_000 : false);

  const run = async (what: Busy, action: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    setNote("");
    try {
      await action();
    } catch (err) {
      setError(message(err));
      setBusy(null);
    }
  };

  // Checkout and the portal leave for Stripe: the button stays busy until the page goes.
  const checkout = (plan: string) =>
    run(`checkout-${plan}`, async () => {
      const { url } = await startCheckout(plan);
      window.location.assign(url);
    });
  const portal = () =>
    run("portal", async () => {
      const { url } = await openPortal();
      window.location.assign(url);
    });
  const change = (what: "cancel" | "resume") =>
    run(what, async () => {
      const next: BillingView = await (what === "cancel" ? cancelSubscription() : resumeSubscription());
      queryClient.setQueryData(billingKey, next);
      await queryClient.invalidateQueries({ queryKey: keys.planUsage });
      setAsking(false);
      setBusy(null);
      setNote(what === "cancel" ? "Your subscription is canceled at the end of the period." : "Your subscription is resumed: it renews as before.");
    });

  const heading = <h2 id={titleId}>{view?.configured === false ? "Upgrading" : "Billing"}</h2>;

  if (!view) {
    return (
      <section className="section card billing" aria-labelledby={titleId}>
        {heading}
        {billing.isLoading && <p role="status">Loading billing…</p>}
        <ErrorMessage error={billing.error} />
      </section>
    );
  }

  if (!view.configured) {
    return (
      <section className="section card billing" aria-labelledby={titleId}>
        {heading}
        {usage.upgrade ? (
          <>
            <p>{usage.upgrade}</p>
            <p className="help">
              Online payment is not available yet. To upgrade, ask your Blockbuilders administrator to change your plan.
            </p>
          </>
        ) : (
          <p>You are on the biggest plan.</p>
        )}
      </section>
    );
  }

  const subPlan = sub ? planName(sub.plan, view) : "";
  const periodEnd = sub?.current_period_end ?? null;
  const above = view.plans.filter((p) => planRank(p.plan) > planRank(usage.plan));
  const buyable = above.filter((p) => p.available);
  // A subscription that gives its plan, or one that owes a payment, is changed under Manage
  // billing; a new checkout is for when there is none.
  const viaPortal = !!sub && (granting || owes(sub));
  const inGrace = graceUntil !== null && granting;
  const ending = granting && sub.cancel_at_period_end;
  const canCancel = granting && !sub.cancel_at_period_end;
  const disabled = busy !== null;
  const manageButton = (primary: boolean) => (
    <button type="button" className={primary ? "button primary" : "button"} disabled={disabled} onClick={portal}>
      {busy === "portal" ? "Opening…" : "Manage billing"}
    </button>
  );

  return (
    <section className="section card billing" aria-labelledby={titleId}>
      {heading}

      {inGrace ? (
        <div className="notice-box billing-alert" role="alert">
          <p>{view.notice ?? <><strong>Your last payment failed.</strong> Update your card under Manage billing.</>}</p>
          <p>
            You keep the {subPlan} plan until <strong data-testid="grace-until">{dayTime(graceUntil)}</strong>; after
            that you move to the Free plan.
          </p>
          <div className="card-actions">{manageButton(true)}</div>
        </div>
      ) : (
        view.notice && (
          <p className="notice-box billing-notice" role="status">
            {view.notice}
          </p>
        )
      )}

      <dl className="facts billing-facts">
        <div>
          <dt>Current plan</dt>
          <dd data-testid="billing-plan">{usage.plan_name}</dd>
        </div>
        {sub && (
          <div>
            <dt>Subscription</dt>
            <dd>
              {subPlan} · {statusWords(sub.status)}
            </dd>
          </div>
        )}
        {granting && periodEnd !== null && (
          <div>
            <dt>{ending ? "Ends on" : sub.status === "past_due" ? "Period ends on" : "Renews on"}</dt>
            <dd>{day(periodEnd)}</dd>
          </div>
        )}
      </dl>

      {ending && (
        <p className="notice-box billing-ending">
          Your {subPlan} plan ends on{" "}
          {periodEnd !== null ? <strong>{day(periodEnd)}</strong> : "the end of the period you paid for"}. Nothing more is
          charged; resume to keep it.
        </p>
      )}

      {above.length === 0 ? (
        <p>You are on the biggest plan.</p>
      ) : (
        <>
          {usage.upgrade && <p>{usage.upgrade}</p>}
          {viaPortal && buyable.length > 0 && (
            <p className="help">
              To change to {buyable.map((p) => p.name).join(" or ")}, use Manage billing: your subscription changes there.
            </p>
          )}
          {!viaPortal && buyable.length === 0 && (
            <p className="help">Upgrading online is not available at the moment. Ask your Blockbuilders administrator.</p>
          )}
        </>
      )}

      <ErrorMessage error={asking ? null : error} />
      <p className="help" role="status">
        {note}
      </p>
      <div className="card-actions billing-actions">
        {!viaPortal &&
          buyable.map((p) => (
            <button key={p.plan} type="button" className="button primary" disabled={disabled} onClick={() => checkout(p.plan)}>
              {busy === `checkout-${p.plan}` ? "Opening checkout…" : `Upgrade to ${p.name}`}
            </button>
          ))}
        {view.customer && !inGrace && manageButton(false)}
        {ending && (
          <button type="button" className="button primary" disabled={disabled} onClick={() => change("resume")}>
            {busy === "resume" ? "Resuming…" : "Resume"}
          </button>
        )}
        {canCancel && (
          <button type="button" className="button danger" disabled={disabled} onClick={() => setAsking(true)}>
            Cancel subscription
          </button>
        )}
      </div>

      <Modal
        open={asking}
        title="Cancel your subscription?"
        role="alertdialog"
        describedBy={`${titleId}-cancel`}
        onClose={() => busy !== "cancel" && setAsking(false)}
      >
        <div id={`${titleId}-cancel`}>
          <p>
            {periodEnd !== null ? (
              <>
                Your {subPlan} plan stays until <strong>{day(periodEnd)}</strong>, the end of the period you paid for.
              </>
            ) : (
              <>Your {subPlan} plan stays until the end of the period you paid for.</>
            )}{" "}
            Then you move to the Free plan and nothing more is charged.
          </p>
          <p>You can resume until then.</p>
        </div>
        <ErrorMessage error={asking ? error : null} />
        <div className="actions">
          <button type="button" className="button" disabled={busy === "cancel"} onClick={() => setAsking(false)}>
            Keep my plan
          </button>
          <button type="button" className="button danger" disabled={busy === "cancel"} onClick={() => change("cancel")}>
            {busy === "cancel" ? "Canceling…" : "Cancel subscription"}
          </button>
        </div>
      </Modal>
    </section>
  );
}
