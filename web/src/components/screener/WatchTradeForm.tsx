// Watch a trade from an alert: the side, the entry (the alert's price unless changed), the stop
// loss and the take profit (suggested 1% either side of the entry for the side, until edited).
// The server checks the levels against the side; its refusals are shown on the field they name
// and that field takes the focus. Escape or "Not now" closes the form.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../../api/client";
import { keys } from "../../api/keys";
import { price } from "../../lib/format";
import { marketTime, typeWords, type Alert } from "../../lib/screener";
import {
  parsePrice,
  SIDE_WORDS,
  suggestLevels,
  type Trade,
  type TradeRequest,
  type TradeSide,
} from "../../lib/watchedTrades";
import { ErrorMessage, Field } from "../Field";

type FieldName = "side" | "entry" | "stop_loss" | "take_profit";
type Errors = Partial<Record<FieldName, string>>;

function fieldOf(v: unknown): FieldName | null {
  return v === "side" || v === "entry" || v === "stop_loss" || v === "take_profit" ? v : null;
}

const SIDES: TradeSide[] = ["long", "short"];

interface Props {
  alert: Alert;
  onDone(trade: Trade): void;
  onCancel(): void;
}

export function WatchTradeForm({ alert: a, onDone, onCancel }: Props) {
  const queryClient = useQueryClient();
  const titleId = useId();
  const sideName = useId();
  const sideError = useId();
  const [side, setSide] = useState<TradeSide>("long");
  const [entry, setEntry] = useState(String(a.trigger_price));
  // null: the suggestion for the side and the entry (until the user types a level).
  const [stop, setStop] = useState<string | null>(null);
  const [target, setTarget] = useState<string | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const refs = {
    side: useRef<HTMLInputElement>(null),
    entry: useRef<HTMLInputElement>(null),
    stop_loss: useRef<HTMLInputElement>(null),
    take_profit: useRef<HTMLInputElement>(null),
  };

  const entryValue = parsePrice(entry);
  const suggested = entryValue != null ? suggestLevels(side, entryValue) : null;
  const stopText = stop ?? (suggested ? String(suggested.stop_loss) : "");
  const targetText = target ?? (suggested ? String(suggested.take_profit) : "");

  // Opened: start at the side.
  useEffect(() => {
    refs.side.current?.focus();
  }, [refs.side]);

  const focusField = (f: FieldName) => {
    // After the error is drawn (the field's description changes with it).
    setTimeout(() => refs[f].current?.focus(), 0);
  };

  const watch = useMutation({
    mutationFn: (body: TradeRequest) => data(api.POST("/api/v1/screener/trades", { body })),
    onSuccess: (trade) => {
      queryClient.setQueryData<Trade[]>(keys.screener.trades, (list) => (list ? [trade, ...list.filter((t) => t.id !== trade.id)] : list));
      queryClient.invalidateQueries({ queryKey: keys.screener.trades });
      onDone(trade);
    },
    onError: (err) => {
      const field = err instanceof ApiError ? fieldOf(err.details?.field) : null;
      if (field) {
        setErrors({ [field]: err.message });
        focusField(field);
      }
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    watch.reset();
    const next: Errors = {};
    const stopValue = parsePrice(stopText);
    const targetValue = parsePrice(targetText);
    if (entryValue == null) next.entry = "Enter the price the trade is entered at, above 0.";
    if (stopValue == null) next.stop_loss = "Enter a stop loss price, above 0.";
    if (targetValue == null) next.take_profit = "Enter a take profit price, above 0.";
    setErrors(next);
    const first = (["entry", "stop_loss", "take_profit"] as const).find((f) => next[f]);
    if (first || entryValue == null || stopValue == null || targetValue == null) {
      if (first) focusField(first);
      return;
    }
    // Which side of the entry each level must be is the server's to say (shown at the field).
    watch.mutate({ alert_id: a.id, side, entry: entryValue, stop_loss: stopValue, take_profit: targetValue });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      onCancel();
    }
  };

  const clear = (f: FieldName) => setErrors((x) => (x[f] ? { ...x, [f]: undefined } : x));
  const generalError = watch.error instanceof ApiError && fieldOf(watch.error.details?.field) ? null : watch.error;
  const below = side === "long";
  return (
    <form className="watch-form" aria-labelledby={titleId} onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      <h3 className="watch-title" id={titleId}>
        Watch a trade<span className="visually-hidden"> from the {a.symbol} {typeWords(a.alert_type)} alert at {marketTime(a.trigger_time)}</span>
      </h3>
      <fieldset
        className={`watch-side${errors.side ? " field-invalid" : ""}`}
        aria-describedby={errors.side ? sideError : undefined}
      >
        <legend>Side</legend>
        <div className="watch-sides">
          {SIDES.map((s) => (
            <label key={s} className="radio">
              <input
                ref={s === side ? refs.side : undefined}
                type="radio"
                name={sideName}
                value={s}
                checked={side === s}
                onChange={() => {
                  setSide(s);
                  // The levels follow the side: the suggestions for it.
                  setStop(null);
                  setTarget(null);
                  clear("side");
                  clear("stop_loss");
                  clear("take_profit");
                }}
              />
              <span>{SIDE_WORDS[s]}</span>
            </label>
          ))}
        </div>
        {errors.side && (
          <p className="field-error" id={sideError}>
            {errors.side}
          </p>
        )}
      </fieldset>
      <div className="watch-levels">
        <Field label="Entry" error={errors.entry} help={`The alert's price: ${price(a.trigger_price)}.`}>
          <input
            ref={refs.entry}
            type="number"
            inputMode="decimal"
            min="0"
            step="any"
            value={entry}
            onChange={(e) => {
              setEntry(e.target.value);
              clear("entry");
            }}
          />
        </Field>
        <Field label="Stop loss" error={errors.stop_loss} help={below ? "Below the entry for a long." : "Above the entry for a short."}>
          <input
            ref={refs.stop_loss}
            type="number"
            inputMode="decimal"
            min="0"
            step="any"
            value={stopText}
            onChange={(e) => {
              setStop(e.target.value);
              clear("stop_loss");
            }}
          />
        </Field>
        <Field label="Take profit" error={errors.take_profit} help={below ? "Above the entry for a long." : "Below the entry for a short."}>
          <input
            ref={refs.take_profit}
            type="number"
            inputMode="decimal"
            min="0"
            step="any"
            value={targetText}
            onChange={(e) => {
              setTarget(e.target.value);
              clear("take_profit");
            }}
          />
        </Field>
      </div>
      {suggested && stop === null && target === null && (
        <p className="help">Suggested: 1% from the entry on each side. Change them as you like.</p>
      )}
      <ErrorMessage error={generalError} />
      <div className="actions">
        <button type="submit" className="button primary small" disabled={watch.isPending}>
          {watch.isPending ? "Starting…" : "Watch the trade"}
        </button>
        <button type="button" className="button small" onClick={onCancel}>
          Not now
        </button>
      </div>
    </form>
  );
}
