// "Paper trade this": the same strategy version, market and costs as a finished backtest,
// traded candle by candle with pretend money. Live trades new candles as they close (only a
// shared Binance dataset gets new candles); Replay plays the stored candles from a date, one a
// second, so paper trading can be watched on any data, offline too.
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { CreatePaperRun, Dataset, RunDetail, SettingsRanges } from "../api/types";
import { useDatasets, useSettingsRanges } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { date, plain, timeframeMinutes, timeframeWords } from "../lib/format";
import { AlertFields, alertConfig, alertFieldOf, alertForm, DEFAULT_ALERTS, type AlertErrors, type AlertForm } from "./AlertFields";
import { Field } from "./Field";
import { Modal } from "./Modal";

interface Props {
  /** The finished backtest to start from (null: closed). */
  run: RunDetail | null;
  title: string;
  onClose(): void;
}

export function PaperDialog({ run, title, onClose }: Props) {
  return (
    <Modal open={!!run} title={`Paper trade: ${title}`} onClose={onClose} wide>
      {run && <PaperForm key={run.id} run={run} title={title} onClose={onClose} />}
    </Modal>
  );
}

type Mode = "live" | "replay";

interface Form {
  mode: Mode;
  replayFrom: string;
  capital: string;
  fee: string;
  slippage: string;
  fill: SettingsRanges["fills"][number];
  allowShort: boolean;
  alerts: AlertForm;
}

type Errors = Partial<Record<Exclude<keyof Form, "alerts"> | "form", string>> & { alerts?: AlertErrors };

/** How many candles before the dataset's end a replay starts by default. */
const REPLAY_CANDLES = 90;

/** The providers a shared dataset is kept up to date from (the server's rule for live runs). */
const LIVE_SOURCES = new Set(["binance", "coindesk", "coinmetrics"]);

/** Whether the dataset gets new candles as they close: a shared dataset fetched from a provider. */
export function tradesLive(d: Dataset | undefined): boolean {
  return !!d && !d.owner_id && d.fetch_sources.some((s) => LIVE_SOURCES.has(s));
}

/** The default replay start: about 90 candles before the dataset's last one (UTC date). */
export function defaultReplayFrom(d: Dataset | undefined, timeframe?: string | null): string {
  if (!d?.last_ts) return "";
  const minutes = timeframeMinutes(timeframe || d.timeframe) ?? 1440;
  const from = Math.max(d.first_ts ?? 0, d.last_ts - REPLAY_CANDLES * minutes * 60_000);
  return date(from);
}

function fieldOf(field: unknown): Exclude<keyof Form, "alerts"> | null {
  switch (field) {
    case "replay_from":
      return "replayFrom";
    case "dataset_id":
    case "timeframe":
      return "mode";
    case "initial_capital":
      return "capital";
    case "fee_pct":
      return "fee";
    case "slippage_bps":
      return "slippage";
    case "fill":
      return "fill";
    case "allow_short":
      return "allowShort";
    default:
      return null;
  }
}

const inRange = (v: number, r: SettingsRanges["fee_pct"]) =>
  Number.isFinite(v) && v >= r.min && (r.max_exclusive ? v < r.max : v <= r.max);

function PaperForm({ run, title, onClose }: { run: RunDetail; title: string; onClose(): void }) {
  const datasets = useDatasets();
  const ranges = useSettingsRanges();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const uid = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const p = run.parameters;
  const datasetId = run.dataset_id ?? p.dataset_id;
  const dataset = datasets.data?.items.find((d) => d.id === datasetId);
  const live = tradesLive(dataset);
  const [form, setForm] = useState<Form | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [submitting, setSubmitting] = useState(false);
  // "Alert me when…": folded away until opened, or an error inside it.
  const [alertsOpen, setAlertsOpen] = useState(false);

  useEffect(() => {
    if (form || !datasets.data) return;
    setForm({
      mode: live ? "live" : "replay",
      replayFrom: defaultReplayFrom(dataset, p.timeframe),
      capital: String(p.initial_capital),
      fee: String(p.fee_pct),
      slippage: String(p.slippage_bps),
      fill: p.fill,
      allowShort: p.allow_short,
      alerts: alertForm(DEFAULT_ALERTS),
    });
  }, [form, datasets.data, dataset, live, p]);

  useEffect(() => {
    if (Object.keys(errors).length) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  if (datasets.error) return <p className="error-box">{datasets.error.message}</p>;
  if (!form || !datasets.data) return <p role="status">Loading the market data…</p>;
  if (!dataset) return <p className="error-box">The market data of this backtest is no longer there, so it cannot be paper traded.</p>;

  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm({ ...form, [k]: v });
  const first = dataset.first_ts ? date(dataset.first_ts) : undefined;
  const last = dataset.last_ts ? date(dataset.last_ts) : undefined;
  const timeframe = p.timeframe || dataset.timeframe;

  const check = (): { ok: true; body: CreatePaperRun } | { ok: false; errors: Errors } => {
    const e: Errors = {};
    const capital = Number(form.capital);
    const fee = Number(form.fee);
    const slippage = Number(form.slippage);
    const r = ranges.data;
    if (form.capital.trim() === "" || (r ? !inRange(capital, r.initial_capital) : !(capital > 0)))
      e.capital = `Enter the starting money as a number${r ? ` from ${plain(r.initial_capital.min)} to ${plain(r.initial_capital.max)}` : ""}.`;
    if (form.fee.trim() === "" || (r ? !inRange(fee, r.fee_pct) : !(fee >= 0))) e.fee = "Enter the fee as a percentage, e.g. 0.1.";
    if (form.slippage.trim() === "" || (r ? !inRange(slippage, r.slippage_bps) : !(slippage >= 0)))
      e.slippage = "Enter the slippage in basis points, e.g. 5.";
    if (form.mode === "replay") {
      if (!form.replayFrom) e.replayFrom = "Choose the date the replay starts from.";
      else if ((first && form.replayFrom < first) || (last && form.replayFrom > last))
        e.replayFrom = `Choose a date from ${first} to ${last}, the candles stored.`;
    }
    const alerts = alertConfig(form.alerts);
    if (!alerts.ok) e.alerts = alerts.errors;
    if (!alerts.ok || Object.keys(e).length) return { ok: false, errors: e };
    return {
      ok: true,
      body: {
        strategy_id: run.strategy_id,
        version: run.version,
        dataset_id: dataset.id,
        timeframe,
        initial_capital: capital,
        fee_pct: fee,
        slippage_bps: slippage,
        fill: form.fill,
        allow_short: form.allowShort,
        alert_config: alerts.config,
        ...(form.mode === "replay" ? { replay_from: form.replayFrom } : {}),
      },
    };
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (submitting) return;
    const checked = check();
    if (!checked.ok) {
      if (checked.errors.alerts) setAlertsOpen(true);
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setSubmitting(true);
    try {
      const paper = await data(api.POST("/api/v1/paper-trades", { body: checked.body }));
      queryClient.setQueryData(keys.paper.one(paper.id), paper);
      queryClient.invalidateQueries({ queryKey: keys.paper.list });
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      onClose();
      navigate(`/paper/${paper.id}`);
    } catch (err) {
      if (showQuota(err)) {
        onClose();
        return;
      }
      if (err instanceof ApiError) {
        const field = fieldOf(err.details?.field);
        const alert = alertFieldOf(err.details?.field);
        if (alert) setAlertsOpen(true);
        setErrors(field ? { [field]: err.message } : alert ? { alerts: { [alert]: err.message } } : { form: err.message });
      } else {
        setErrors({ form: "Could not reach the server. Check your connection and try again." });
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="run-form paper-form">
      <p className="help">
        Paper trading runs version {run.version} of <strong>{title}</strong> on {dataset.symbol}{" "}
        {timeframeWords(timeframe)} candles, one candle at a time, with pretend money: every entry and exit is
        written to a ledger you can follow live. No real order is ever sent.
      </p>
      {errors.form && (
        <p className="error-box" role="alert">
          {errors.form}
        </p>
      )}
      <fieldset>
        <legend>Which candles to trade</legend>
        <div className="radio">
          <input
            type="radio"
            id={`${uid}-live`}
            name={`${uid}-mode`}
            value="live"
            checked={form.mode === "live"}
            disabled={!live}
            aria-describedby={`${uid}-live-help`}
            onChange={() => set("mode", "live")}
          />
          <label htmlFor={`${uid}-live`}>
            <strong>Live:</strong> trade new candles as they close
          </label>
        </div>
        <p className="help radio-help" id={`${uid}-live-help`}>
          {live
            ? `Each new ${timeframeWords(timeframe)} candle is fetched when it closes; the strategy decides on it then.`
            : `Only shared market data fetched from an exchange or data provider gets new candles; this is ${dataset.source === "demo" ? "demo data" : `data from ${dataset.source}`}, stored once. Replay it instead, or paper trade a Binance market (Data page).`}
        </p>
        <div className="radio">
          <input
            type="radio"
            id={`${uid}-replay`}
            name={`${uid}-mode`}
            value="replay"
            checked={form.mode === "replay"}
            onChange={() => set("mode", "replay")}
          />
          <label htmlFor={`${uid}-replay`}>
            <strong>Replay</strong> stored candles from {form.replayFrom || "a date"} (one candle a second)
          </label>
        </div>
        {errors.mode && (
          <p className="field-error" role="alert">
            {errors.mode}
          </p>
        )}
        {form.mode === "replay" && (
          <Field
            label="Replay from"
            className="radio-help"
            error={errors.replayFrom}
            help={`The stored candles from this date on are played one a second, as if each had just closed${
              first && last ? ` (stored: ${first} to ${last})` : ""
            }.`}
          >
            <input type="date" value={form.replayFrom} min={first} max={last} onChange={(e) => set("replayFrom", e.target.value)} />
          </Field>
        )}
      </fieldset>
      <fieldset>
        <legend>Money and costs (as in the backtest)</legend>
        <div className="field-row">
          <Field label="Starting money" error={errors.capital}>
            <input type="number" inputMode="decimal" step="any" value={form.capital} onChange={(e) => set("capital", e.target.value)} />
          </Field>
          <Field label="Fee per trade (%)" error={errors.fee}>
            <input type="number" inputMode="decimal" step="0.01" value={form.fee} onChange={(e) => set("fee", e.target.value)} />
          </Field>
          <Field label="Slippage (basis points)" error={errors.slippage}>
            <input type="number" inputMode="decimal" step="0.5" value={form.slippage} onChange={(e) => set("slippage", e.target.value)} />
          </Field>
        </div>
        <Field label="Orders fill" error={errors.fill}>
          <select value={form.fill} onChange={(e) => set("fill", e.target.value === "same_close" ? "same_close" : "next_open")}>
            <option value="next_open">At the next candle's open (realistic)</option>
            <option value="same_close">At the same candle's close (optimistic)</option>
          </select>
        </Field>
        <div className="checkbox">
          <input
            type="checkbox"
            id={`${uid}-short`}
            checked={form.allowShort}
            onChange={(e) => set("allowShort", e.target.checked)}
          />
          <label htmlFor={`${uid}-short`}>Allow short trades (betting on a fall) when the strategy has them</label>
        </div>
      </fieldset>
      <details className="alert-details" open={alertsOpen} onToggle={(e) => setAlertsOpen(e.currentTarget.open)}>
        <summary>Alert me when… <span className="summary-note">(losses, no trades, late data)</span></summary>
        <fieldset>
          <legend className="visually-hidden">Alert me when</legend>
          <p className="help">An alert is a note in the ledger and a notification, once each time the condition starts.</p>
          <AlertFields form={form.alerts} errors={errors.alerts ?? {}} onChange={(alerts) => set("alerts", alerts)} />
        </fieldset>
      </details>
      <div className="actions">
        <button type="submit" className="button primary" disabled={submitting}>
          {submitting ? "Starting…" : "Start paper trading"}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
