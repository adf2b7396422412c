// "Get market data": pick a market Binance lists (a combobox with type-ahead over
// `GET /market/symbols`), a timeframe and a period, then `POST /market/requests`; the candles
// are either stored already or fetched once for everyone, with the fetch's progress polled
// (`GET /market/fetches/{id}`) until they are. Used by the Data page and the run dialog.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data, type Schemas } from "../api/client";
import { keys } from "../api/keys";
import { useDatasets, useFetchJob, useMarketSymbols } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import type { RunProgress } from "../hooks/useRunEvents";
import { date, plain, timeframeWords } from "../lib/format";
import { ErrorMessage, Field } from "./Field";
import { RunProgressView } from "./ProgressBar";

type Market = Schemas["SymbolView"];
type RequestView = Schemas["MarketRequestView"];
type FetchJob = Schemas["FetchView"];

/** The quote currencies offered as a filter; empty is any. */
const QUOTES = ["", "USDT", "USDC", "FDUSD", "BTC", "ETH", "EUR"];

const YEAR_MS = 365 * 86_400_000;

/** Binance's timeframes, offered when its list cannot be read just now (stored data may still do). */
const FALLBACK_TIMEFRAMES = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w"];

/** "ETH-USDT · ETH priced in USDT". */
export function marketWords(m: Market): string {
  return `${m.symbol} · ${m.base} priced in ${m.quote}`;
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

type FieldName = "symbol" | "timeframe" | "from" | "to";
type Errors = Partial<Record<FieldName, string>>;

function fieldOf(v: unknown): FieldName | null {
  return v === "symbol" || v === "timeframe" || v === "from" || v === "to" ? v : null;
}

interface Props {
  /** Called once the candles are stored (at once when they already were). */
  onReady?(datasetId: string): void;
  /** What to offer once the candles are ready (the Data page's "Backtest with this data"). */
  readyActions?(datasetId: string): ReactNode;
  /** Fewer words, for the run dialog. */
  compact?: boolean;
  /** More buttons next to "Get data" (the run dialog's way back). */
  actions?: ReactNode;
}

export function MarketPicker({ onReady, readyActions, compact, actions }: Props) {
  const client = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [market, setMarket] = useState<Market | null>(null);
  const [text, setText] = useState("");
  const [quote, setQuote] = useState("");
  const [timeframe, setTimeframe] = useState("");
  const [from, setFrom] = useState(() => date(Date.now() - YEAR_MS));
  const [to, setTo] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [answer, setAnswer] = useState<RequestView | null>(null);
  // Whether the first answer was "all stored" (then nothing was fetched for this request).
  const [storedAlready, setStoredAlready] = useState(false);
  const asked = useRef<Schemas["MarketRequest"] | null>(null);
  const askedAgainFor = useRef<RequestView | null>(null);
  const askedAgain = useRef(0);
  const announced = useRef<string | null>(null);

  // The source's timeframes come with any page of its markets.
  const catalogue = useMarketSymbols("", "");
  const timeframes = catalogue.data?.timeframes ?? (catalogue.error ? FALLBACK_TIMEFRAMES : []);
  const chosenTimeframe = timeframe || (timeframes.includes("4h") ? "4h" : (timeframes[0] ?? ""));

  const request = useMutation({
    mutationFn: ({ body }: { body: Schemas["MarketRequest"]; again: boolean }) =>
      data(api.POST("/api/v1/market/requests", { body })),
    onMutate: ({ body, again }) => {
      if (again) return;
      asked.current = body;
      askedAgain.current = 0;
      setAnswer(null);
      announced.current = null;
    },
    onSuccess: (view, { again }) => {
      // The server's view of the fetch is the newest: the poll starts from it.
      if (view.fetch) client.setQueryData(keys.fetch(view.fetch.id), view.fetch);
      if (!again) setStoredAlready(view.ready);
      setAnswer(view);
    },
    onError: (err) => {
      if (showQuota(err)) return;
      const field = err instanceof ApiError ? fieldOf(err.details?.field) : null;
      if (field) setErrors({ [field]: err.message });
    },
  });

  const job = useFetchJob(answer && !answer.ready ? (answer.fetch?.id ?? null) : null);
  const fetched: FetchJob | null | undefined = job.data ?? answer?.fetch;
  const readyId = answer?.ready ? answer.dataset_id : null;

  // A fetch that ends may have been someone else's, for another period: ask again (a few times).
  useEffect(() => {
    if (!answer || answer.ready || fetched?.status !== "succeeded" || !asked.current) return;
    if (askedAgainFor.current === answer || askedAgain.current >= 5) return;
    askedAgainFor.current = answer;
    askedAgain.current += 1;
    request.mutate({ body: asked.current, again: true });
  }, [answer, fetched?.status, request]);

  useEffect(() => {
    if (!readyId || announced.current === readyId) return;
    announced.current = readyId;
    client.invalidateQueries({ queryKey: keys.datasets }).then(() => onReady?.(readyId));
  }, [readyId, client, onReady]);

  const busy = request.isPending || fetched?.status === "queued" || fetched?.status === "running";

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const symbol = market?.symbol ?? text.trim().toUpperCase();
    const next: Errors = {};
    if (!symbol) next.symbol = "Choose a market: type part of its name, like eth.";
    if (!chosenTimeframe) next.timeframe = "Choose a timeframe.";
    if (!from) next.from = "Give the first day to get.";
    if (to && from && to <= from) next.to = "The end must be after the start.";
    setErrors(next);
    if (Object.keys(next).length) return;
    request.mutate({ body: { symbol, timeframe: chosenTimeframe, from, to: to || undefined }, again: false });
  };

  const fieldError = request.error instanceof ApiError && fieldOf(request.error.details?.field) ? null : request.error;
  const quotaError = request.error instanceof ApiError && request.error.code === "quota_exceeded";

  return (
    <div className="market-picker">
      <form onSubmit={submit} noValidate>
        {/* Binance unreachable: the server's words ("stored datasets still work"). */}
        <ErrorMessage error={catalogue.error} />
        {!compact && (
          <p className="help">
            Any market Binance lists, in any of its timeframes. Candles already stored are used as they are; the rest are
            fetched once and then kept for everyone.
          </p>
        )}
        <SymbolCombobox
          text={text}
          quote={quote}
          error={errors.symbol}
          onText={(t) => {
            setText(t);
            if (market && t !== market.symbol) setMarket(null);
          }}
          onPick={(m) => {
            setMarket(m);
            setText(m.symbol);
            setErrors((e) => ({ ...e, symbol: undefined }));
          }}
        />
        <div className="field-row">
          <Field label="Quote currency" help="Only markets priced in it.">
            <select value={quote} onChange={(e) => setQuote(e.target.value)}>
              {QUOTES.map((q) => (
                <option key={q} value={q}>
                  {q || "Any"}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Timeframe" error={errors.timeframe} help="How long one candle lasts.">
            <select value={chosenTimeframe} onChange={(e) => setTimeframe(e.target.value)} disabled={!timeframes.length}>
              {!timeframes.length && <option value="">{catalogue.isLoading ? "Loading…" : "Not available"}</option>}
              {timeframes.map((tf) => (
                <option key={tf} value={tf}>
                  {timeframeWords(tf)} ({tf})
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="field-row">
          <Field label="From" error={errors.from} help="The first day (UTC).">
            <input type="date" value={from} max={date(Date.now())} onChange={(e) => setFrom(e.target.value)} />
          </Field>
          <Field label="To (optional)" error={errors.to} help="Empty: up to now.">
            <input type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {request.isPending ? "Asking…" : "Get data"}
          </button>
          {actions}
        </div>
      </form>
      {!quotaError && fieldError?.message !== catalogue.error?.message && <ErrorMessage error={fieldError} />}
      {answer && (
        <RequestOutcome
          answer={answer}
          storedAlready={storedAlready}
          job={fetched ?? null}
          readyId={readyId}
          readyActions={readyActions}
        />
      )}
      {answer && !readyId && <ErrorMessage error={job.error} />}
    </div>
  );
}

const STATUSES: RunProgress["status"][] = ["queued", "running", "succeeded", "failed", "cancelled"];

function jobStatus(status: string): RunProgress["status"] {
  return STATUSES.find((s) => s === status) ?? "unknown";
}

function jobProgress(job: FetchJob): RunProgress {
  const p = job.progress;
  return {
    status: jobStatus(job.status),
    percent: Math.max(0, Math.min(100, Math.round(p?.percent ?? 0))),
    message: p?.message || (job.status === "queued" ? "Waiting for a free worker…" : "Fetching the candles…"),
  };
}

function RequestOutcome({
  answer,
  storedAlready,
  job,
  readyId,
  readyActions,
}: {
  answer: RequestView;
  storedAlready: boolean;
  job: FetchJob | null;
  readyId: string | null;
  readyActions?(datasetId: string): ReactNode;
}) {
  const datasets = useDatasets();
  const what = `${answer.symbol}, ${timeframeWords(answer.timeframe)}`;
  if (readyId) {
    // Counted once the list has been read again after the fetch.
    const d = datasets.isFetching ? undefined : datasets.data?.items.find((x) => x.id === readyId);
    const range = d?.first_ts ? ` from ${date(d.first_ts)} to ${date(d.last_ts)}` : "";
    return (
      <div className="success-box market-ready">
        <p role="status">
          <strong>
            {storedAlready ? "Already stored" : "Ready"}
            {d ? `: ${plain(d.row_count)} ${d.row_count === 1 ? "candle" : "candles"}` : ""}
          </strong>{" "}
          of {what}
          {range}.{storedAlready ? " Nothing needed fetching." : ""}
        </p>
        {readyActions?.(readyId)}
      </div>
    );
  }
  if (!job) return <p role="status">Asked for {what}…</p>;
  if (job.status === "failed")
    return (
      <p className="error-box" role="alert">
        Getting {what} failed: {job.error ?? "the source did not answer"}. Try again in a moment.
      </p>
    );
  if (job.status === "cancelled") return <p role="status">Getting {what} was cancelled.</p>;
  return (
    <div className="market-progress">
      <p>
        Getting {what}: {plain(answer.missing.length)} {answer.missing.length === 1 ? "stretch" : "stretches"} to fetch
        {job.progress?.candles ? `, ${plain(job.progress.candles)} candles so far` : ""}.
      </p>
      <RunProgressView progress={jobProgress(job)} label={`Getting ${what}`} />
    </div>
  );
}

function SymbolCombobox({
  text,
  quote,
  error,
  onText,
  onPick,
}: {
  text: string;
  quote: string;
  error?: string;
  onText(t: string): void;
  onPick(m: Market): void;
}) {
  const id = useId();
  const listId = `${id}-list`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const q = useDebounced(text.trim(), 200);
  const symbols = useMarketSymbols(q, quote, open);
  const items = symbols.data?.items ?? [];
  const shown = open && items.length > 0;

  useEffect(() => setActive(-1), [q, quote]);
  useEffect(() => {
    if (active < 0) return;
    document.getElementById(`${id}-opt-${active}`)?.scrollIntoView({ block: "nearest" });
  }, [active, id]);

  const pick = (m: Market) => {
    onPick(m);
    setOpen(false);
    setActive(-1);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (!open) setOpen(true);
      else if (items.length) setActive((a) => (a + 1) % items.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (!open) setOpen(true);
      else if (items.length) setActive((a) => (a <= 0 ? items.length - 1 : a - 1));
    } else if (e.key === "Enter" && shown && active >= 0) {
      e.preventDefault();
      pick(items[active]);
    } else if (e.key === "Escape" && open) {
      // Close the list, not the dialog around it.
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  };

  const matches = symbols.data ? `${plain(symbols.data.total)} ${symbols.data.total === 1 ? "market matches" : "markets match"}` : "";
  return (
    <div className={`field combobox${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>Market</label>
      <div className="combobox-box">
        <input
          id={id}
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={shown}
          aria-controls={listId}
          aria-activedescendant={shown && active >= 0 ? `${id}-opt-${active}` : undefined}
          aria-describedby={[error ? errorId : "", helpId].filter(Boolean).join(" ")}
          aria-invalid={error ? true : undefined}
          autoComplete="off"
          spellCheck={false}
          placeholder="Type to search, e.g. eth"
          value={text}
          onChange={(e) => {
            onText(e.target.value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          onClick={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={onKeyDown}
        />
        <ul id={listId} role="listbox" aria-label="Markets" className="combobox-list" hidden={!shown}>
          {items.map((m, i) => (
            <li
              key={m.symbol}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : undefined}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(m)}
            >
              <strong>{m.symbol}</strong> <span className="meta">· {m.base} priced in {m.quote}</span>
            </li>
          ))}
        </ul>
      </div>
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
      <p className="help" id={helpId}>
        {symbols.data?.stale
          ? "Binance could not be reached just now; this is the last list it gave."
          : "Binance's markets; arrow keys and Enter choose one."}
      </p>
      <p className="visually-hidden" role="status">
        {open && symbols.data ? (items.length ? matches : `No market matches ${text.trim()}`) : ""}
      </p>
      {open && symbols.data && !items.length && <p className="meta">No market matches “{text.trim()}”.</p>}
    </div>
  );
}
