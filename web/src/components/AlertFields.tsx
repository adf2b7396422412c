// A paper run's alert thresholds as a form: one number input each, empty = not checked. Used by
// "Paper trade this" (prefilled with the server's defaults) and the dashboard's "Edit alerts".
// Only what cannot be sent is checked here (not a number, not whole); the ranges are the
// server's, its 422 shown on the field (`details.field` like `alert_config.max_drawdown_pct`).
import { useId } from "react";
import type { PaperAlertConfig } from "../api/types";
import { pct, plain } from "../lib/format";
import { Field } from "./Field";

export interface AlertForm {
  drawdown: string;
  dailyLoss: string;
  weeklyLoss: string;
  losses: string;
  noTrade: string;
  exposure: string;
  stale: string;
  /** "on" or "": processed candles changing at the source. */
  drift: string;
}

export type AlertErrors = Partial<Record<keyof AlertForm, string>>;

/** The server's defaults for a new run. */
export const DEFAULT_ALERTS: PaperAlertConfig = {
  max_drawdown_pct: 20,
  max_daily_loss_pct: 10,
  max_consecutive_losses: 5,
  stale_data_bars: 3,
  drift: true,
};

/** The numeric thresholds (the drift check is a yes or no). */
type ConfigKey = Exclude<keyof PaperAlertConfig, "drift">;

const FIELDS: { key: keyof AlertForm; config: ConfigKey; whole: boolean }[] = [
  { key: "drawdown", config: "max_drawdown_pct", whole: false },
  { key: "dailyLoss", config: "max_daily_loss_pct", whole: false },
  { key: "weeklyLoss", config: "max_weekly_loss_pct", whole: false },
  { key: "losses", config: "max_consecutive_losses", whole: true },
  { key: "noTrade", config: "no_trade_bars", whole: true },
  { key: "exposure", config: "max_exposure_pct", whole: false },
  { key: "stale", config: "stale_data_bars", whole: true },
];

const text = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));

export function alertForm(c: PaperAlertConfig): AlertForm {
  return {
    drawdown: text(c.max_drawdown_pct),
    dailyLoss: text(c.max_daily_loss_pct),
    weeklyLoss: text(c.max_weekly_loss_pct),
    losses: text(c.max_consecutive_losses),
    noTrade: text(c.no_trade_bars),
    exposure: text(c.max_exposure_pct),
    stale: text(c.stale_data_bars),
    drift: c.drift ? "on" : "",
  };
}

/** The thresholds to send (empty fields left out: not checked), or what is wrong. */
export function alertConfig(f: AlertForm): { ok: true; config: PaperAlertConfig } | { ok: false; errors: AlertErrors } {
  const config: PaperAlertConfig = {};
  const errors: AlertErrors = {};
  for (const { key, config: name, whole } of FIELDS) {
    const raw = f[key].trim();
    if (raw === "") continue;
    const v = Number(raw);
    if (!Number.isFinite(v)) errors[key] = "Enter a number, or leave it empty to turn this alert off.";
    else if (whole && !Number.isInteger(v)) errors[key] = "Enter a whole number, or leave it empty to turn this alert off.";
    else config[name] = v;
  }
  if (f.drift === "on") config.drift = true;
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, config };
}

/** The form field of a server error's `details.field` (`alert_config.max_drawdown_pct`). */
export function alertFieldOf(field: unknown): keyof AlertForm | null {
  if (typeof field !== "string") return null;
  const name = field.replace(/^alert_config\./, "");
  return FIELDS.find((f) => f.config === name)?.key ?? null;
}

/** The alert thresholds in words, those not checked left out. */
export function alertSettings(c: PaperAlertConfig): string[] {
  const on = (v: number | null | undefined) => v !== null && v !== undefined;
  return [
    on(c.max_drawdown_pct) ? `${pct(c.max_drawdown_pct, 0, false)} below the highest value` : null,
    on(c.max_daily_loss_pct) ? `a ${pct(c.max_daily_loss_pct, 0, false)} loss in 24 hours` : null,
    on(c.max_weekly_loss_pct) ? `a ${pct(c.max_weekly_loss_pct, 0, false)} loss in 7 days` : null,
    on(c.max_consecutive_losses) ? `${plain(c.max_consecutive_losses)} losing trades in a row` : null,
    on(c.no_trade_bars) ? `no trade for ${plain(c.no_trade_bars)} candles` : null,
    on(c.max_exposure_pct) ? `a position worth ${pct(c.max_exposure_pct, 0, false)} of the account` : null,
    on(c.stale_data_bars) ? `data ${plain(c.stale_data_bars)} candles late` : null,
    c.drift ? "candles already traded changing at the source" : null,
  ].filter((x): x is string => x !== null);
}

interface Props {
  form: AlertForm;
  errors: AlertErrors;
  onChange(form: AlertForm): void;
}

/** The seven threshold inputs, in two rows, and the drift check. */
export function AlertFields({ form, errors, onChange }: Props) {
  const uid = useId();
  const set = (k: keyof AlertForm, v: string) => onChange({ ...form, [k]: v });
  const input = (k: keyof AlertForm, step: string) => (
    <input type="number" inputMode={step === "1" ? "numeric" : "decimal"} min={step === "1" ? 1 : 0} step={step} value={form[k]} onChange={(e) => set(k, e.target.value)} />
  );
  return (
    <>
      <p className="help">Leave a field empty to turn that alert off.</p>
      <div className="field-row alert-fields">
        <Field label="Drop from the highest value (%)" error={errors.drawdown} help="e.g. 20: the account is 20% below its best.">
          {input("drawdown", "any")}
        </Field>
        <Field label="Loss in 24 hours (%)" error={errors.dailyLoss} help="e.g. 10.">
          {input("dailyLoss", "any")}
        </Field>
        <Field label="Loss in 7 days (%)" error={errors.weeklyLoss} help="e.g. 15.">
          {input("weeklyLoss", "any")}
        </Field>
      </div>
      <div className="field-row alert-fields">
        <Field label="Losing trades in a row" error={errors.losses} help="e.g. 5.">
          {input("losses", "1")}
        </Field>
        <Field label="No trade for (candles)" error={errors.noTrade} help="No entry or exit for this many candles.">
          {input("noTrade", "1")}
        </Field>
        <Field label="Position worth (% of account)" error={errors.exposure} help="e.g. 90: nearly everything is in one trade.">
          {input("exposure", "any")}
        </Field>
        <Field label="Data late by (candles)" error={errors.stale} help="Live runs: the newest candle this many candles late.">
          {input("stale", "1")}
        </Field>
      </div>
      <div className="checkbox">
        <input type="checkbox" id={`${uid}-drift`} checked={form.drift === "on"} onChange={(e) => set("drift", e.target.checked ? "on" : "")} />
        <label htmlFor={`${uid}-drift`}>
          Candles the run already traded change at the source (a correction, or a missing candle stored later): a backtest of
          its window may then differ
        </label>
      </div>
    </>
  );
}
