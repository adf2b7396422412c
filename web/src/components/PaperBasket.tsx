// Paper trading a basket: more markets traded with the first one from one shared balance, as a
// basket backtest does. The added markets are dataset lists like the first market's, offering
// only the datasets whose candles can make the chosen timeframe; each can be removed again.
// "Most one position may cost" is asked only for a basket (the server's default: 100 / markets).
import type { Dataset } from "../api/types";
import { plain, timeframeMinutes, timeframeWords } from "../lib/format";
import { DatasetOptions } from "./DatasetSelect";
import { Field } from "./Field";

/** The most markets the server takes beside the first one. */
export const MAX_ADDED = 9;

export interface BasketErrors {
  /** By index of the added market. */
  members?: Record<number, string>;
  /** The basket as a whole (too many markets). */
  basket?: string;
  maxAllocation?: string;
}

/** Whether a dataset's stored candles can make candles of `timeframe`. */
export function makesTimeframe(d: Dataset, timeframe: string): boolean {
  const stored = timeframeMinutes(d.timeframe);
  const wanted = timeframeMinutes(timeframe);
  return !!stored && !!wanted && wanted % stored === 0;
}

/** The datasets one more market may be: not chosen yet, and able to make the timeframe. */
function choices(items: Dataset[], chosen: string[], own: string, timeframe: string): Dataset[] {
  return items.filter((d) => d.id === own || (!chosen.includes(d.id) && makesTimeframe(d, timeframe)));
}

/** The dataset "Add another market" adds: the first one still free (none: null). */
export function nextMarket(items: Dataset[], chosen: string[], timeframe: string): string | null {
  const free = choices(items, chosen, "", timeframe);
  return free.length ? [...free].sort((a, b) => a.symbol.localeCompare(b.symbol))[0].id : null;
}

/** The server's default for one position: 100 / the number of markets. */
export const defaultAllocation = (markets: number) => Math.round((100 / markets) * 100) / 100;

/** Checks the added markets and the allocation before the request. */
export function checkBasket(
  items: Dataset[],
  first: string,
  members: string[],
  timeframe: string,
  maxAllocation: string,
): BasketErrors {
  const errors: BasketErrors = {};
  const bad: Record<number, string> = {};
  members.forEach((id, i) => {
    const d = items.find((x) => x.id === id);
    if (!d) bad[i] = "Choose the market data to add.";
    else if (id === first || members.indexOf(id) !== i) bad[i] = `${d.symbol} is in the basket already: choose another market.`;
    else if (!makesTimeframe(d, timeframe))
      bad[i] = `${d.symbol} has ${timeframeWords(d.timeframe)} candles, which cannot make ${timeframeWords(timeframe)} ones.`;
  });
  if (Object.keys(bad).length) errors.members = bad;
  if (members.length > MAX_ADDED) errors.basket = `A basket has at most ${MAX_ADDED + 1} markets.`;
  if (members.length && maxAllocation.trim() !== "") {
    const v = Number(maxAllocation);
    if (!Number.isFinite(v) || v <= 0 || v > 100)
      errors.maxAllocation = "Enter a percentage above 0 and at most 100, or leave it empty for the default.";
  }
  return errors;
}

interface Props {
  items: Dataset[];
  /** The first market's dataset id. */
  first: string;
  members: string[];
  timeframe: string;
  maxAllocation: string;
  errors: BasketErrors;
  onMembers(members: string[]): void;
  onMaxAllocation(value: string): void;
}

export function PaperBasket({ items, first, members, timeframe, maxAllocation, errors, onMembers, onMaxAllocation }: Props) {
  const chosen = [first, ...members];
  const next = members.length < MAX_ADDED ? nextMarket(items, chosen, timeframe) : null;
  const markets = members.length + 1;
  return (
    <div className="basket-fields">
      {members.map((id, i) => (
        <div className="basket-market" key={i}>
          <Field label={`Market ${i + 2}`} error={errors.members?.[i]}>
            <select
              value={id}
              onChange={(e) => onMembers(members.map((m, j) => (j === i ? e.target.value : m)))}
            >
              <DatasetOptions items={choices(items, chosen, id, timeframe)} />
            </select>
          </Field>
          <button
            type="button"
            className="button small"
            onClick={() => onMembers(members.filter((_, j) => j !== i))}
          >
            Remove market {i + 2}
          </button>
        </div>
      ))}
      {errors.basket && (
        <p className="field-error" role="alert">
          {errors.basket}
        </p>
      )}
      <p className="help">
        {members.length ? "A basket: t" : "Add markets to make a basket. T"}he strategy trades every market from one shared
        balance, as a basket backtest does.
      </p>
      <p>
        <button
          type="button"
          className="button small"
          disabled={!next}
          onClick={() => next && onMembers([...members, next])}
        >
          Add another market
        </button>
        {!next && members.length < MAX_ADDED && (
          <span className="help"> No other stored market can make {timeframeWords(timeframe)} candles.</span>
        )}
      </p>
      {members.length > 0 && (
        <Field
          label="Most one position may cost (% of the basket)"
          error={errors.maxAllocation}
          help={`Empty: the default, 100 / ${markets} markets = ${plain(defaultAllocation(markets))}% of the basket's value for each position, so every market can be held at once.`}
          className="narrow-field"
        >
          <input
            type="number"
            inputMode="decimal"
            min={0}
            max={100}
            step="any"
            placeholder={plain(defaultAllocation(markets))}
            value={maxAllocation}
            onChange={(e) => onMaxAllocation(e.target.value)}
          />
        </Field>
      )}
    </div>
  );
}
