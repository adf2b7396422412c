// The settings every backtest and sweep shares: which candles, which period, how much money
// and what trading costs. The defaults are the honest ones (fees and slippage on, next-open
// fills) and each is explained next to its field. Defaults and ranges come from the server
// (`GET /api/v1/settings/backtest`), the same values it applies and checks.
import { useId, type ReactNode } from "react";
import type { CreateBacktest, Dataset, SettingsRanges } from "../api/types";
import { date, plain, timeframeMinutes, timeframeWords } from "../lib/format";
import { DatasetOptions } from "./DatasetSelect";
import { Field } from "./Field";

export interface RunSettings {
  datasetId: string;
  timeframe: string;
  from: string;
  to: string;
  capital: string;
  fee: string;
  slippage: string;
  fill: "next_open" | "same_close";
  allowShort: boolean;
}

/** The form's starting values: the server's defaults. */
export function defaultSettings(ranges: SettingsRanges, datasetId: string): RunSettings {
  const d = ranges.defaults;
  return {
    datasetId,
    timeframe: "",
    from: "",
    to: "",
    capital: String(d.initial_capital),
    fee: String(d.fee_pct),
    slippage: String(d.slippage_bps),
    fill: d.fill,
    allowShort: d.allow_short,
  };
}

type Range = SettingsRanges["fee_pct"];

/** The fill rules in words. */
const FILL_WORDS: Record<SettingsRanges["fills"][number], { title: string; text: string }> = {
  next_open: {
    title: "At the next candle's open",
    text: "realistic): a signal seen at a candle's close is traded at the next price you could actually get.",
  },
  same_close: {
    title: "At the same candle's close",
    text: "optimistic): assumes you trade at the very price that gave the signal.",
  },
};

const inRange = (v: number, r: Range) => Number.isFinite(v) && v >= r.min && (r.max_exclusive ? v < r.max : v <= r.max);

const upTo = (r: Range) => `${r.max_exclusive ? "under " : ""}${plain(r.max)}`;

export type FieldErrors = Partial<Record<keyof RunSettings | "form", string>>;

const TIMEFRAMES = ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"];

export function timeframeChoices(stored: string): string[] {
  const base = timeframeMinutes(stored);
  if (!base) return [];
  return TIMEFRAMES.filter((tf) => {
    const m = timeframeMinutes(tf)!;
    return m > base && m % base === 0;
  });
}

/** Checks the form and builds the request fields; errors are per field. */
export function settingsToRequest(
  s: RunSettings,
  ranges: SettingsRanges,
): { ok: true; body: Omit<CreateBacktest, "strategy_id"> } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const capital = Number(s.capital);
  const fee = Number(s.fee);
  const slippage = Number(s.slippage);
  if (!s.datasetId) errors.datasetId = "Choose the market data to test on.";
  const { defaults: d, initial_capital: cr, fee_pct: fr, slippage_bps: sr } = ranges;
  if (s.capital.trim() === "" || !inRange(capital, cr))
    errors.capital = `Enter the starting money as a number from ${cr.min} to ${upTo(cr)}, e.g. ${d.initial_capital}.`;
  if (s.fee.trim() === "" || !inRange(fee, fr))
    errors.fee = `Enter the fee as a percentage from ${fr.min} to ${upTo(fr)}, e.g. ${d.fee_pct}.`;
  if (s.slippage.trim() === "" || !inRange(slippage, sr))
    errors.slippage = `Enter the slippage in basis points, from ${sr.min} to ${upTo(sr)}, e.g. ${d.slippage_bps}.`;
  if (s.from && s.to && s.from >= s.to) errors.to = "The end date must come after the start date.";
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    body: {
      dataset_id: s.datasetId,
      ...(s.timeframe ? { timeframe: s.timeframe } : {}),
      ...(s.from ? { from: s.from } : {}),
      ...(s.to ? { to: s.to } : {}),
      initial_capital: capital,
      fee_pct: fee,
      slippage_bps: slippage,
      fill: s.fill,
      allow_short: s.allowShort,
    },
  };
}

/** Maps the API's `details.field` onto the form's field names. */
export function apiFieldToSetting(field: unknown): keyof RunSettings | null {
  switch (field) {
    case "dataset_id":
    case "symbol":
      return "datasetId";
    case "timeframe":
      return "timeframe";
    case "from":
      return "from";
    case "to":
      return "to";
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

interface Props {
  value: RunSettings;
  onChange(next: RunSettings): void;
  datasets: Dataset[];
  ranges: SettingsRanges;
  errors: FieldErrors;
  /** Offers "Another market…" in the dataset list, which calls this instead of choosing. */
  onPickMarket?(): void;
  /** In place of the start and end dates (paper trading's live or replay choice). */
  period?: ReactNode;
  /** The dataset list's label (default "Candles to test on"). */
  marketLabel?: string;
  /** After the timeframe, in the market data (paper trading's added markets of a basket). */
  moreMarkets?: ReactNode;
}

/** The dataset list's "Another market…" entry. */
const ANOTHER_MARKET = "another-market";

export function RunSettingsFields({ value, onChange, datasets, ranges, errors, onPickMarket, period, marketLabel, moreMarkets }: Props) {
  const d = ranges.defaults;
  const uid = useId();
  const set = <K extends keyof RunSettings>(k: K, v: RunSettings[K]) => onChange({ ...value, [k]: v });
  const ds = datasets.find((d) => d.id === value.datasetId);
  const choices = ds ? timeframeChoices(ds.timeframe) : [];
  const first = ds?.first_ts ? date(ds.first_ts) : undefined;
  const last = ds?.last_ts ? date(ds.last_ts) : undefined;
  return (
    <>
      <fieldset>
        <legend>Market data</legend>
        <Field
          label={marketLabel ?? "Candles to test on"}
          error={errors.datasetId}
          help={ds ? ds.provenance : "The price history the strategy is tested against."}
        >
          <select
            value={value.datasetId}
            onChange={(e) =>
              e.target.value === ANOTHER_MARKET && onPickMarket
                ? onPickMarket()
                : onChange({ ...value, datasetId: e.target.value, timeframe: "", from: "", to: "" })
            }
          >
            <DatasetOptions items={datasets} />
            {onPickMarket && <option value={ANOTHER_MARKET}>Another market… (get it from Binance)</option>}
          </select>
        </Field>
        <Field
          label="Timeframe"
          error={errors.timeframe}
          help="How long one candle lasts. Longer candles are combined from the stored ones."
        >
          <select value={value.timeframe} onChange={(e) => set("timeframe", e.target.value)}>
            <option value="">As stored ({ds ? timeframeWords(ds.timeframe) : "default"})</option>
            {choices.map((tf) => (
              <option key={tf} value={tf}>
                {timeframeWords(tf)} ({tf})
              </option>
            ))}
          </select>
        </Field>
        {period === undefined && (
          <div className="field-row">
            <Field label="Start date" error={errors.from} help={first ? `Empty: from the first candle (${first}).` : undefined}>
              <input type="date" value={value.from} min={first} max={last} onChange={(e) => set("from", e.target.value)} />
            </Field>
            <Field
              label="End date (not included)"
              error={errors.to}
              help={last ? `Empty: up to the last candle (${last}).` : undefined}
            >
              <input type="date" value={value.to} min={first} onChange={(e) => set("to", e.target.value)} />
            </Field>
          </div>
        )}
        {moreMarkets}
      </fieldset>
      {period}
      <fieldset>
        <legend>Money and costs</legend>
        <div className="field-row">
          <NumberSetting
            label="Starting money"
            error={errors.capital}
            help={`Default ${plain(d.initial_capital)}. Every trade uses the strategy's sizing rule.`}
            range={ranges.initial_capital}
            step="any"
            value={value.capital}
            onChange={(v) => set("capital", v)}
          />
          <NumberSetting
            label="Fee per trade (%)"
            error={errors.fee}
            help={`Default ${d.fee_pct}%, a typical exchange fee, paid on every buy and every sell.`}
            range={ranges.fee_pct}
            step="0.01"
            value={value.fee}
            onChange={(v) => set("fee", v)}
          />
          <NumberSetting
            label="Slippage (basis points)"
            error={errors.slippage}
            help={`Default ${d.slippage_bps} bps = ${d.slippage_bps / 100}%: each fill gets a slightly worse price than on screen, as in real markets.`}
            range={ranges.slippage_bps}
            step="0.5"
            value={value.slippage}
            onChange={(v) => set("slippage", v)}
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>When orders fill</legend>
        {ranges.fills.map((fill) => (
          <div className="radio" key={fill}>
            <input
              type="radio"
              id={`${uid}-${fill}`}
              name={`${uid}-fill`}
              value={fill}
              checked={value.fill === fill}
              onChange={() => set("fill", fill)}
            />
            <label htmlFor={`${uid}-${fill}`}>
              <strong>{FILL_WORDS[fill].title}</strong> ({fill === d.fill ? "default, " : ""}
              {FILL_WORDS[fill].text}
            </label>
          </div>
        ))}
        {errors.fill && <p className="field-error">{errors.fill}</p>}
        <div className="checkbox">
          <input
            type="checkbox"
            id={`${uid}-short`}
            checked={value.allowShort}
            onChange={(e) => set("allowShort", e.target.checked)}
          />
          <label htmlFor={`${uid}-short`}>Allow short trades (betting on a fall) when the strategy has them</label>
        </div>
      </fieldset>
    </>
  );
}

/** A number field of the form, with the server's range as the input's bounds. */
function NumberSetting(props: {
  label: string;
  error?: string;
  help: string;
  range: Range;
  step: string;
  value: string;
  onChange(value: string): void;
}) {
  return (
    <Field label={props.label} error={props.error} help={props.help}>
      <input
        type="number"
        inputMode="decimal"
        min={props.range.min}
        max={props.range.max}
        step={props.step}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </Field>
  );
}
