// "Paper trade": a strategy version traded candle by candle with pretend money. Started from a
// finished backtest ("Paper trade this": its market, timeframe and costs prefilled) or from a
// strategy version (the strategy page, the canvas: the server's honest defaults prefilled).
// The market, timeframe and costs are the run dialog's fields; live or replay, and the alerts,
// are paper trading's own.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { CreatePaperRun, Dataset, RunDetail, SettingsRanges } from "../api/types";
import { useDatasets, useSettingsRanges } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { timeframeWords } from "../lib/format";
import { AlertFields, alertConfig, alertFieldOf, alertForm, DEFAULT_ALERTS, type AlertErrors, type AlertForm } from "./AlertFields";
import { AnotherMarket } from "./AnotherMarket";
import { datasetLabel, defaultDataset } from "./DatasetSelect";
import { Modal } from "./Modal";
import { checkBasket, PaperBasket, type BasketErrors } from "./PaperBasket";
import { defaultReplayFrom, PaperMode, storedRange, tradesLive, type Mode } from "./PaperMode";
import { apiFieldToSetting, defaultSettings, RunSettingsFields, settingsToRequest, type FieldErrors, type RunSettings } from "./RunSettings";

export interface PaperTarget {
  strategyId: string;
  title: string;
  version: number;
  /** The finished backtest whose market, timeframe and costs are prefilled (else the defaults). */
  run?: RunDetail;
  /** A word before the form, e.g. that the draft's unsaved changes are not included. */
  note?: string;
}

interface Props {
  /** What to paper trade (null: closed). */
  target: PaperTarget | null;
  onClose(): void;
}

export function PaperDialog({ target, onClose }: Props) {
  return (
    <Modal open={!!target} title={target ? `Paper trade: ${target.title}` : "Paper trade"} onClose={onClose} wide>
      {target && <PaperForm key={`${target.strategyId}-${target.version}-${target.run?.id ?? ""}`} target={target} onClose={onClose} />}
    </Modal>
  );
}

interface Form {
  settings: RunSettings;
  mode: Mode;
  replayFrom: string;
  alerts: AlertForm;
  /** A basket's added markets (dataset ids; empty: one market). */
  basket: string[];
  /** A basket's most one position may cost, % (empty: the server's default). */
  maxAllocation: string;
}

type Errors = FieldErrors & { mode?: string; replayFrom?: string; alerts?: AlertErrors; basket?: BasketErrors };

/** The form's first values: the backtest's settings when there is one, else the server's defaults. */
function initialForm(target: PaperTarget, items: Dataset[], ranges: SettingsRanges): { form: Form; lost: boolean } {
  const p = target.run?.parameters;
  const runDataset = target.run ? items.find((d) => d.id === (target.run?.dataset_id ?? p?.dataset_id)) : undefined;
  const dataset = runDataset ?? defaultDataset(items);
  const settings: RunSettings =
    p && runDataset
      ? {
          datasetId: runDataset.id,
          timeframe: p.timeframe && p.timeframe !== runDataset.timeframe ? p.timeframe : "",
          from: "",
          to: "",
          capital: String(p.initial_capital),
          fee: String(p.fee_pct),
          slippage: String(p.slippage_bps),
          fill: p.fill,
          allowShort: p.allow_short,
        }
      : defaultSettings(ranges, dataset?.id ?? "");
  return {
    form: {
      settings,
      mode: tradesLive(dataset) ? "live" : "replay",
      replayFrom: defaultReplayFrom(dataset, settings.timeframe),
      alerts: alertForm(DEFAULT_ALERTS),
      basket: [],
      maxAllocation: "",
    },
    lost: !!target.run && !runDataset,
  };
}

function PaperForm({ target, onClose }: { target: PaperTarget; onClose(): void }) {
  const datasets = useDatasets();
  const ranges = useSettingsRanges();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const formRef = useRef<HTMLFormElement>(null);
  const [form, setForm] = useState<Form | null>(null);
  // The backtest's market data is gone: the default is chosen instead, and said so.
  const [lost, setLost] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [submitting, setSubmitting] = useState(false);
  // "Alert me when…": folded away until opened, or an error inside it.
  const [alertsOpen, setAlertsOpen] = useState(false);
  // "Another market…": the market picker in place of the form, then back with its dataset chosen.
  const [picking, setPicking] = useState(false);
  const [fetchedId, setFetchedId] = useState<string | null>(null);
  const items = datasets.data?.items;

  useEffect(() => {
    if (form || !items || !ranges.data) return;
    const first = initialForm(target, items, ranges.data);
    setForm(first.form);
    setLost(first.lost);
  }, [form, items, ranges.data, target]);

  useEffect(() => {
    if (Object.keys(errors).length) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  /** New settings; another market or timeframe also resets live/replay and the replay date. */
  const changeSettings = useCallback(
    (settings: RunSettings) =>
      setForm((f) => {
        if (!f) return f;
        if (settings.datasetId === f.settings.datasetId && settings.timeframe === f.settings.timeframe) return { ...f, settings };
        const d = items?.find((x) => x.id === settings.datasetId);
        const others = f.basket.map((id) => items?.find((x) => x.id === id));
        const live = [d, ...others].every(tradesLive);
        const mode: Mode = !live ? "replay" : f.settings.datasetId === settings.datasetId ? f.mode : "live";
        return { ...f, settings, mode, replayFrom: defaultReplayFrom(d, settings.timeframe) };
      }),
    [items],
  );

  /** New added markets; live becomes replay when one of them gets no new candles. */
  const changeBasket = useCallback(
    (basket: string[]) =>
      setForm((f) => {
        if (!f) return f;
        const all = [f.settings.datasetId, ...basket].map((id) => items?.find((x) => x.id === id));
        if (f.mode !== "live" || all.every(tradesLive)) return { ...f, basket };
        return { ...f, basket, mode: "replay", replayFrom: f.replayFrom || defaultReplayFrom(all[0], f.settings.timeframe) };
      }),
    [items],
  );

  const onMarketReady = useCallback(
    (id: string) => {
      setForm((f) => f && { ...f, settings: { ...f.settings, datasetId: id, timeframe: "" }, replayFrom: "" });
      setFetchedId(id);
      setPicking(false);
    },
    [],
  );

  // A fetched market appears in the list after the datasets are fetched again: reset its mode then.
  useEffect(() => {
    if (!fetchedId || !form || form.settings.datasetId !== fetchedId) return;
    const d = items?.find((x) => x.id === fetchedId);
    const replayFrom = defaultReplayFrom(d, "");
    const live = [d, ...form.basket.map((id) => items?.find((x) => x.id === id))].every(tradesLive);
    if (d && !form.replayFrom && replayFrom) setForm({ ...form, mode: live ? "live" : "replay", replayFrom });
  }, [fetchedId, form, items]);

  if (datasets.error) return <p className="error-box">{datasets.error.message}</p>;
  if (ranges.error) return <p className="error-box">{ranges.error.message}</p>;
  if (!form || !items || !ranges.data) return <p role="status">Loading the market data…</p>;
  if (target.version < 1) {
    return <p>This strategy has no saved version yet. Open it in the editor, add blocks and save, then paper trade it.</p>;
  }
  if (picking) return <AnotherMarket usedBy="paper trading" onReady={onMarketReady} onBack={() => setPicking(false)} />;

  const ranged = ranges.data;
  const dataset = items.find((d) => d.id === form.settings.datasetId);
  const timeframe = form.settings.timeframe || dataset?.timeframe || "";
  const others = form.basket.map((id) => items.find((d) => d.id === id)).filter((d): d is Dataset => !!d);
  const markets = [dataset?.symbol, ...others.map((d) => d.symbol)].filter(Boolean).join(", ").replace(/, ([^,]*)$/, " and $1");
  const fetched = fetchedId ? items.find((d) => d.id === fetchedId) : undefined;
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm({ ...form, [k]: v });

  const check = (): { ok: true; body: CreatePaperRun } | { ok: false; errors: Errors } => {
    const checked = settingsToRequest(form.settings, ranged);
    const e: Errors = checked.ok ? {} : { ...checked.errors };
    if (form.mode === "replay") {
      const { first, last } = storedRange([dataset, ...others]);
      if (!form.replayFrom) e.replayFrom = "Choose the date the replay starts from.";
      else if ((first && form.replayFrom < first) || (last && form.replayFrom > last))
        e.replayFrom = `Choose a date from ${first} to ${last}, the candles stored.`;
    }
    const alerts = alertConfig(form.alerts);
    if (!alerts.ok) e.alerts = alerts.errors;
    const basket = checkBasket(items, form.settings.datasetId, form.basket, timeframe, form.maxAllocation);
    if (Object.keys(basket).length) e.basket = basket;
    if (!checked.ok || !alerts.ok || Object.keys(e).length) return { ok: false, errors: e };
    return {
      ok: true,
      body: {
        strategy_id: target.strategyId,
        version: target.version,
        ...checked.body,
        alert_config: alerts.config,
        ...(form.basket.length ? { basket: form.basket } : {}),
        ...(form.basket.length && form.maxAllocation.trim() !== "" ? { max_allocation_pct: Number(form.maxAllocation) } : {}),
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
      if (err instanceof ApiError) setErrors(apiErrors(err, setAlertsOpen));
      else setErrors({ form: "Could not reach the server. Check your connection and try again." });
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="run-form paper-form">
      <p className="help">
        Paper trading runs version {target.version} of <strong>{target.title}</strong>
        {dataset ? ` on ${markets} ${timeframeWords(timeframe)} candles` : ""}, one candle at a time, with pretend
        money: every entry and exit is written to a ledger you can follow live. No real order is ever sent.
        {target.run ? " The market, timeframe and costs are the backtest's." : " The costs are the honest defaults, as in a backtest."}
      </p>
      {target.note && <p className="notice-box">{target.note}</p>}
      {lost && <p className="notice-box">The market data of this backtest is no longer there: choose the market to trade.</p>}
      {errors.form && (
        <p className="error-box" role="alert">
          {errors.form}
        </p>
      )}
      {fetched && fetched.id === form.settings.datasetId && (
        <p className="success-box" role="status">
          Ready and chosen: {datasetLabel(fetched)}.
        </p>
      )}
      <RunSettingsFields
        value={form.settings}
        onChange={changeSettings}
        datasets={items}
        ranges={ranged}
        errors={errors}
        onPickMarket={() => setPicking(true)}
        marketLabel="Market to trade"
        moreMarkets={
          <PaperBasket
            items={items}
            first={form.settings.datasetId}
            members={form.basket}
            timeframe={timeframe}
            maxAllocation={form.maxAllocation}
            errors={errors.basket ?? {}}
            onMembers={changeBasket}
            onMaxAllocation={(v) => set("maxAllocation", v)}
          />
        }
        period={
          <PaperMode
            dataset={dataset}
            others={others}
            timeframe={timeframe}
            mode={form.mode}
            replayFrom={form.replayFrom}
            errors={errors}
            onMode={(mode) => set("mode", mode)}
            onReplayFrom={(from) => set("replayFrom", from)}
          />
        }
      />
      <details className="alert-details" open={alertsOpen} onToggle={(e) => setAlertsOpen(e.currentTarget.open)}>
        <summary>
          Alert me when… <span className="summary-note">(losses, no trades, late data)</span>
        </summary>
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

/** The API's refusal on its field (`details.field`), else above the form. */
function apiErrors(err: ApiError, openAlerts: (open: boolean) => void): Errors {
  const field = err.details?.field;
  if (field === "replay_from") return { replayFrom: err.message };
  if (field === "basket") return { basket: { basket: err.message } };
  if (field === "max_allocation_pct") return { basket: { maxAllocation: err.message } };
  const member = typeof field === "string" ? field.match(/^basket\[(\d+)\]$/) : null;
  if (member) return { basket: { members: { [Number(member[1])]: err.message } } };
  const setting = apiFieldToSetting(field);
  if (setting) return { [setting]: err.message };
  const alert = alertFieldOf(field);
  if (alert) {
    openAlerts(true);
    return { alerts: { [alert]: err.message } };
  }
  return { form: err.message };
}
