// Paper trading's "Which candles to trade": Live trades new candles as they close (only a shared
// dataset fetched from a provider gets new candles); Replay plays the stored candles from a
// date, one a second, so paper trading can be watched on any data, offline too.
import { useId } from "react";
import type { Dataset } from "../api/types";
import { date, timeframeMinutes, timeframeWords } from "../lib/format";
import { Field } from "./Field";

export type Mode = "live" | "replay";

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


/** The dates every market has candles stored for (UTC dates; undefined when unknown). */
export function storedRange(markets: (Dataset | undefined)[]): { first?: string; last?: string } {
  const firsts = markets.map((d) => d?.first_ts).filter((t): t is number => typeof t === "number");
  const lasts = markets.map((d) => d?.last_ts).filter((t): t is number => typeof t === "number");
  return {
    first: firsts.length ? date(Math.max(...firsts)) : undefined,
    last: lasts.length ? date(Math.min(...lasts)) : undefined,
  };
}

interface Props {
  dataset: Dataset | undefined;
  /** A basket's added markets: live needs every one to get new candles; a replay, stored ones. */
  others?: Dataset[];
  timeframe: string;
  mode: Mode;
  replayFrom: string;
  errors: { mode?: string; replayFrom?: string };
  onMode(mode: Mode): void;
  onReplayFrom(from: string): void;
}

export function PaperMode({ dataset, others = [], timeframe, mode, replayFrom, errors, onMode, onReplayFrom }: Props) {
  const uid = useId();
  const live = [dataset, ...others].every(tradesLive);
  const notLive = [dataset, ...others].find((d) => d && !tradesLive(d));
  const { first, last } = storedRange([dataset, ...others]);
  const source = notLive?.source === "demo" ? "demo data" : `data from ${notLive?.source ?? "a file"}`;
  const which = others.length && notLive ? `${notLive.symbol} is ` : "this is ";
  return (
    <fieldset>
      <legend>Which candles to trade</legend>
      <div className="radio">
        <input
          type="radio"
          id={`${uid}-live`}
          name={`${uid}-mode`}
          value="live"
          checked={mode === "live"}
          disabled={!live}
          aria-describedby={`${uid}-live-help`}
          onChange={() => onMode("live")}
        />
        <label htmlFor={`${uid}-live`}>
          <strong>Live:</strong> trade new candles as they close
        </label>
      </div>
      <p className="help radio-help" id={`${uid}-live-help`}>
        {live
          ? `Each new ${timeframeWords(timeframe)} candle is fetched when it closes; the strategy decides on it then.`
          : `Only shared market data fetched from an exchange or data provider gets new candles; ${which}${source}, stored once. Replay it instead, or choose a Binance market.`}
      </p>
      <div className="radio">
        <input
          type="radio"
          id={`${uid}-replay`}
          name={`${uid}-mode`}
          value="replay"
          checked={mode === "replay"}
          onChange={() => onMode("replay")}
        />
        <label htmlFor={`${uid}-replay`}>
          <strong>Replay</strong> stored candles from {replayFrom || "a date"} (one candle a second)
        </label>
      </div>
      {errors.mode && (
        <p className="field-error" role="alert">
          {errors.mode}
        </p>
      )}
      {mode === "replay" && (
        <Field
          label="Replay from"
          className="radio-help"
          error={errors.replayFrom}
          help={`The stored candles from this date on are played one a second, as if each had just closed${
            first && last ? ` (stored: ${first} to ${last})` : ""
          }.`}
        >
          <input type="date" value={replayFrom} min={first} max={last} onChange={(e) => onReplayFrom(e.target.value)} />
        </Field>
      )}
    </fieldset>
  );
}
