// A paper run's alerts on its dashboard: each threshold in words with whether it is under way
// now, and "Edit alerts" to change them (PATCH, the server's 422 shown on its field).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { PaperAlertConfig, PaperRun } from "../api/types";
import { pct, plain } from "../lib/format";
import { AlertFields, alertConfig, alertFieldOf, alertForm, type AlertErrors, type AlertForm } from "./AlertFields";

type Kind = "drawdown" | "daily_loss" | "weekly_loss" | "consecutive_losses" | "no_trade" | "exposure" | "stale_data" | "drift";

/** Each alert: its name, and its threshold in words (null: off). */
const ALERTS: { kind: Kind; name: string; words(c: PaperAlertConfig): string | null }[] = [
  {
    kind: "drawdown",
    name: "Drop from the highest value",
    words: (c) => (c.max_drawdown_pct == null ? null : `more than ${pct(c.max_drawdown_pct, 0, false)} below the highest account value`),
  },
  {
    kind: "daily_loss",
    name: "Loss in 24 hours",
    words: (c) => (c.max_daily_loss_pct == null ? null : `more than ${pct(c.max_daily_loss_pct, 0, false)} lost over 24 hours`),
  },
  {
    kind: "weekly_loss",
    name: "Loss in 7 days",
    words: (c) => (c.max_weekly_loss_pct == null ? null : `more than ${pct(c.max_weekly_loss_pct, 0, false)} lost over 7 days`),
  },
  {
    kind: "consecutive_losses",
    name: "Losing streak",
    words: (c) => (c.max_consecutive_losses == null ? null : `${plain(c.max_consecutive_losses)} or more losing trades in a row`),
  },
  {
    kind: "no_trade",
    name: "No trading",
    words: (c) => (c.no_trade_bars == null ? null : `no entry or exit for ${plain(c.no_trade_bars)} candles or more`),
  },
  {
    kind: "exposure",
    name: "Exposure",
    words: (c) => (c.max_exposure_pct == null ? null : `the open position worth ${pct(c.max_exposure_pct, 0, false)} of the account or more`),
  },
  {
    kind: "drift",
    name: "Data changed",
    words: (c) => (c.drift ? "candles the run already traded corrected or stored late at the source" : null),
  },
  {
    kind: "stale_data",
    name: "Late data",
    words: (c) => (c.stale_data_bars == null ? null : `the newest candle ${plain(c.stale_data_bars)} or more candles late`),
  },
];

/** An alert under way, in a sentence (for the banner at the top of the dashboard). */
export function activeAlertWords(kind: string, c: PaperAlertConfig): string {
  const a = ALERTS.find((x) => x.kind === kind);
  const w = a?.words(c);
  return a && w ? `${a.name}: ${w}.` : kind.replace(/_/g, " ");
}

export function PaperAlerts({ run }: { run: PaperRun }) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const editRef = useRef<HTMLButtonElement>(null);
  const stopped = run.status === "stopped";
  const active = new Set(stopped ? [] : run.alerts_active);
  return (
    <section aria-labelledby="paper-alert-settings-title" className="section" id="alerts">
      <div className="section-head">
        <h2 id="paper-alert-settings-title">Alerts</h2>
        {!stopped && !editing && (
          <button
            type="button"
            ref={editRef}
            className="button"
            onClick={() => {
              setSaved(false);
              setEditing(true);
            }}
          >
            Edit alerts
          </button>
        )}
      </div>
      <p className="help">
        When a threshold is crossed, the ledger gets an alert note and you get a notification, once each time it starts.
      </p>
      <p role="status" className="saved-note">
        {saved ? "Alerts saved." : ""}
      </p>
      {editing ? (
        <AlertEditor
          run={run}
          onDone={(ok) => {
            setEditing(false);
            setSaved(ok);
            // Back to the button that opened the form.
            setTimeout(() => editRef.current?.focus(), 0);
          }}
        />
      ) : (
        <ul className="alert-list">
          {ALERTS.map((a) => {
            const w = a.words(run.alert_config);
            const on = active.has(a.kind);
            return (
              <li key={a.kind} className={on ? "alert-on" : w ? undefined : "alert-off"}>
                <span className="alert-name">{a.name}:</span> {w ?? "off"}
                {on && (
                  <span className="pill pill-alert">
                    <span aria-hidden="true">⚠ </span>Under way now
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {!editing && (
        <p className="meta">
          {stopped
            ? "The run is stopped: no alert is checked any more."
            : active.size
              ? `${plain(active.size)} ${active.size === 1 ? "alert is" : "alerts are"} under way now.`
              : "No alert is under way now."}
        </p>
      )}
    </section>
  );
}

function AlertEditor({ run, onDone }: { run: PaperRun; onDone(saved: boolean): void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<AlertForm>(() => alertForm(run.alert_config));
  const [errors, setErrors] = useState<AlertErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    const first = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? (Object.keys(errors).length ? null : formRef.current?.querySelector<HTMLElement>("input"));
    first?.focus();
  }, [errors]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (saving) return;
    const checked = alertConfig(form);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setSaving(true);
    setFormError(null);
    try {
      const next = await data(
        api.PATCH("/api/v1/paper-trades/{id}", { params: { path: { id: run.id } }, body: { alert_config: checked.config } }),
      );
      queryClient.setQueryData(keys.paper.one(run.id), next);
      queryClient.invalidateQueries({ queryKey: keys.paper.list });
      onDone(true);
    } catch (err) {
      if (err instanceof ApiError) {
        const field = alertFieldOf(err.details?.field);
        if (field) setErrors({ [field]: err.message });
        else {
          setErrors({});
          setFormError(err.message);
        }
      } else setFormError("Could not reach the server. Check your connection and try again.");
    } finally {
      setSaving(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="run-form alert-form" aria-label="Edit alerts">
      {formError && (
        <p className="error-box" role="alert">
          {formError}
        </p>
      )}
      <AlertFields form={form} errors={errors} onChange={setForm} />
      <div className="actions">
        <button type="submit" className="button primary" disabled={saving}>
          {saving ? "Saving…" : "Save alerts"}
        </button>
        <button type="button" className="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
