// The upgrade prompt: any `quota_exceeded` answer (backtests per day, runs at once, sweep size,
// strategies) opens one dialog that says which limit, when it resets and what upgrading gives.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/client";
import { keys } from "../api/keys";
import { Modal } from "../components/Modal";
import { localTime, relative } from "../lib/format";

interface Quota {
  message: string;
  metric: string;
  limit?: number;
  used?: number;
  requested?: number;
  resets_at?: string | null;
  plan?: string;
  upgrade?: string | null;
}

/** The limit a `quota_exceeded` error names, from its `details`. */
function quotaOf(e: ApiError): Quota {
  const d = e.details ?? {};
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  const text = (v: unknown) => (typeof v === "string" ? v : v === null ? null : undefined);
  return {
    message: e.message,
    metric: String(d.metric ?? "limit"),
    limit: num(d.limit),
    used: num(d.used),
    requested: num(d.requested),
    resets_at: text(d.resets_at),
    plan: text(d.plan) ?? undefined,
    upgrade: text(d.upgrade),
  };
}

const UpgradeContext = createContext<(e: unknown) => boolean>(() => false);

const METRIC_WORDS: Record<string, string> = {
  backtests: "backtests per day",
  concurrent_runs: "runs at the same time",
  sweep_combinations: "combinations in one sweep",
  strategies: "saved strategies",
  paper_runs: "paper runs at the same time",
};

const PLAN_NAMES: Record<string, string> = { free: "Free", premium: "Premium", educator: "Educator" };

export function UpgradeProvider({ children }: { children: ReactNode }) {
  const [quota, setQuota] = useState<Quota | null>(null);
  const queryClient = useQueryClient();
  const show = useCallback(
    (e: unknown) => {
      if (!(e instanceof ApiError) || e.code !== "quota_exceeded") return false;
      setQuota(quotaOf(e));
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      return true;
    },
    [queryClient],
  );
  const close = useCallback(() => setQuota(null), []);
  const value = useMemo(() => show, [show]);
  const plan = quota?.plan ? `the ${PLAN_NAMES[quota.plan] ?? quota.plan} plan` : "your plan";
  const what = quota ? METRIC_WORDS[quota.metric] ?? quota.metric.replace(/_/g, " ") : "";
  return (
    <UpgradeContext.Provider value={value}>
      {children}
      <Modal
        open={!!quota}
        title="You have reached a limit of your plan"
        onClose={close}
        role="alertdialog"
        describedBy="upgrade-message"
      >
        {quota && (
          <div className="upgrade">
            <p id="upgrade-message" className="lead">
              {quota.message}
            </p>
            <dl className="facts">
              <div>
                <dt>Limit reached</dt>
                <dd>
                  {quota.limit !== undefined ? `${quota.limit} ${what}` : what} on {plan}
                </dd>
              </div>
              <div>
                <dt>When you can go on</dt>
                <dd>
                  {quota.resets_at ? (
                    <>
                      The count starts again {relative(Date.parse(quota.resets_at))}, at{" "}
                      <time dateTime={quota.resets_at}>{localTime(Date.parse(quota.resets_at))}</time> (00:00 UTC).
                    </>
                  ) : quota.metric === "concurrent_runs" ? (
                    "As soon as one of your running backtests or sweeps finishes."
                  ) : quota.metric === "sweep_combinations" ? (
                    "Right away with a smaller sweep: narrow a range or take bigger steps."
                  ) : quota.metric === "paper_runs" ? (
                    "As soon as you stop one of your paper runs."
                  ) : quota.metric === "strategies" ? (
                    "After you archive a strategy you no longer need."
                  ) : (
                    "When your usage drops below the limit."
                  )}
                </dd>
              </div>
              <div>
                <dt>What upgrading gives you</dt>
                <dd>{quota.upgrade ?? "You are on the biggest plan already."}</dd>
              </div>
            </dl>
            <div className="actions">
              {quota.upgrade && (
                <Link to="/plan" className="button primary" onClick={close}>
                  See plans and upgrade
                </Link>
              )}
              <button type="button" className="button" onClick={close}>
                Not now
              </button>
            </div>
          </div>
        )}
      </Modal>
    </UpgradeContext.Provider>
  );
}

/** Returns `showQuota(error)`: opens the upgrade prompt and returns true for a quota error. */
export function useUpgradePrompt() {
  return useContext(UpgradeContext);
}
