// The data page: the datasets a user can test on (coverage, quality in words, source), a
// drag-and-drop import of a candle file with upload progress, a dataset's chart with its gaps
// marked and listed, and any market Binance lists fetched on demand (components/MarketPicker).
import { lazy, Suspense, useEffect, useId, useRef, useState, type DragEvent, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError, uploadCandles, type ImportResult, type Schemas } from "../api/client";
import { keys } from "../api/keys";
import type { Dataset } from "../api/types";
import { ErrorMessage, Field } from "../components/Field";
import { MarketPicker } from "../components/MarketPicker";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import { useUser } from "../hooks/auth";
import { useDataset, useDatasets, useMyStrategies, useTemplates } from "../hooks/queries";
import { useTitle } from "../hooks/useTitle";
import { date, dateTime, plain, timeframeWords } from "../lib/format";
import "../styles/data.css";

const DatasetChart = lazy(() => import("../components/DatasetChart"));

type Quality = Schemas["QualitySummary"];
type Report = Schemas["QualityReport"];

/** "1 gap", "3 gaps". */
function count(n: number, one: string, many = `${one}s`): string {
  return `${plain(n)} ${n === 1 ? one : many}`;
}

/** A quality summary in plain words: what was found, one finding a line. */
export function qualityWords(q: Quality | null | undefined): string[] {
  if (!q) return ["Not checked yet."];
  const out: string[] = [];
  if (q.gaps) out.push(`${count(q.gaps, "gap")} in the data (${count(q.missing_candles, "candle")} missing).`);
  if (q.duplicates_dropped) out.push(`${count(q.duplicates_dropped, "duplicate row")} dropped.`);
  if (q.bad_prices) out.push(`${count(q.bad_prices, "candle")} with a zero or negative price.`);
  if (q.inconsistent_bars) out.push(`${count(q.inconsistent_bars, "candle")} whose prices do not fit (high below low).`);
  if (q.misaligned_candles) out.push(`${count(q.misaligned_candles, "candle")} off the time grid.`);
  if (q.zero_volume_runs) out.push(`${count(q.zero_volume_runs, "stretch", "stretches")} without trading volume.`);
  if (q.volume_outliers) out.push(`${count(q.volume_outliers, "unusual volume spike")}.`);
  if (q.price_outliers) out.push(`${count(q.price_outliers, "unusual price jump")}.`);
  if (q.unterminated_last_line) out.push("The file's last line had no line end.");
  if (!out.length) out.push("No problems found.");
  if (q.gaps) out.push(q.gap_policy === "forward_fill" ? "Backtests fill gaps with the last price." : "Backtests leave gaps as they are.");
  return out;
}

function sourceWords(d: Dataset, me: string): string {
  if (d.source === "demo") return "Demo data";
  const mine = d.owner_id === me;
  if (d.source === "file") return mine ? "Your import" : "Shared import";
  const source = d.source === "binance" ? "Binance" : d.source;
  return `${mine ? "Yours, from" : "Shared, from"} ${source}`;
}

function coverageWords(d: Dataset): string {
  if (d.first_ts === null || d.first_ts === undefined) return "No candles yet";
  return `${date(d.first_ts)} to ${date(d.last_ts)}`;
}

/** `ETH-USDT.csv`, `eth_btc-1h.csv.gz` → ETH-USDT, ETH-BTC; otherwise empty. */
export function symbolFromName(name: string): string {
  const m = name.match(/^([A-Za-z]{2,10})[-_]([A-Za-z]{2,10})(?![A-Za-z])/);
  return m ? `${m[1]}-${m[2]}`.toUpperCase() : "";
}

export default function DataPage() {
  useTitle("Data");
  const user = useUser();
  const datasets = useDatasets();
  const [open, setOpen] = useState<string | null>(null);
  // Opened from its card: move to the chart (after an import the result keeps the focus).
  const [moveTo, setMoveTo] = useState(false);
  const list = datasets.data?.items ?? [];
  const shown = list.find((d) => d.id === open);
  return (
    <>
      <h1>Data</h1>
      <p className="lead">The candles your strategies can be tested on, and your own files to add to them.</p>
      <section className="section" aria-labelledby="datasets-title">
        <h2 id="datasets-title">Datasets you can use</h2>
        {datasets.isLoading && <p role="status">Loading…</p>}
        <ErrorMessage error={datasets.error} />
        {datasets.data && !list.length && <p className="empty">No datasets yet: import a file below.</p>}
        <ul className="card-grid dataset-list">
          {list.map((d) => (
            <li key={d.id} className="card dataset-card">
              <h3>
                {d.symbol} <span className="meta">· {timeframeWords(d.timeframe)}</span>
              </h3>
              <dl className="dataset-facts">
                <div>
                  <dt>Source</dt>
                  <dd>{sourceWords(d, user.id)}</dd>
                </div>
                <div>
                  <dt>Coverage</dt>
                  <dd>
                    {coverageWords(d)} · {count(d.row_count, "candle")}
                  </dd>
                </div>
                <div>
                  <dt>Quality</dt>
                  <dd>
                    <ul className="quality-words">
                      {qualityWords(d.quality).map((w) => (
                        <li key={w}>{w}</li>
                      ))}
                    </ul>
                  </dd>
                </div>
              </dl>
              <button
                type="button"
                className="button small"
                aria-pressed={open === d.id}
                onClick={() => {
                  setMoveTo(open !== d.id);
                  setOpen(open === d.id ? null : d.id);
                }}
              >
                {open === d.id ? "Hide the chart" : "Show the chart"}
                <span className="visually-hidden"> of {d.symbol} {timeframeWords(d.timeframe)}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      {shown && <DatasetSection key={shown.id} dataset={shown} focus={moveTo} />}
      <section className="section card" aria-labelledby="market-title">
        <h2 id="market-title">Get market data</h2>
        <MarketPicker readyActions={(id) => <BacktestWith datasetId={id} />} />
      </section>
      <ImportSection
        onImported={(id) => {
          setMoveTo(false);
          setOpen(id);
        }}
      />
    </>
  );
}

function gapsOf(report: Report | null | undefined) {
  return (report?.gaps.items ?? []).map((g) => ({ before: g.last_before_ts, after: g.first_after_ts, missing: g.missing_bars }));
}

function DatasetSection({ dataset, focus }: { dataset: Dataset; focus: boolean }) {
  const detail = useDataset(dataset.id);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!focus) return;
    headingRef.current?.focus({ preventScroll: true });
    headingRef.current?.scrollIntoView({ block: "start" });
  }, [focus]);
  const report = detail.data?.quality_report;
  const gaps = gapsOf(report);
  const titleId = useId();
  return (
    <section className="section card dataset-detail" aria-labelledby={titleId}>
      <h2 id={titleId} tabIndex={-1} ref={headingRef}>
        {dataset.symbol}, {timeframeWords(dataset.timeframe)} candles
      </h2>
      {detail.isLoading && <p role="status">Loading…</p>}
      <ErrorMessage error={detail.error} />
      {detail.data && (
        <>
          <Suspense fallback={<p role="status">Loading the chart…</p>}>
            <DatasetChart datasetId={dataset.id} symbol={dataset.symbol} gaps={gaps} />
          </Suspense>
          <h3>Gaps</h3>
          {!report ? (
            <p>The candles have not been checked yet.</p>
          ) : !report.gaps.count ? (
            <p>No gaps: every candle is there.</p>
          ) : (
            <>
              <p>
                {count(report.gaps.count, "gap")}, {count(report.missing_bars, "candle")} missing
                {report.gaps.count > report.gaps.items.length && ` (the first ${plain(report.gaps.items.length)} listed)`}:
              </p>
              <ul className="gap-list">
                {report.gaps.items.map((g) => (
                  <li key={g.last_before_ts}>
                    After {dateTime(g.last_before_ts)} until {dateTime(g.first_after_ts)}: {count(g.missing_bars, "candle")}{" "}
                    missing
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

const FORMATS = [
  ["", "Automatic"],
  ["csv", "CSV with a header"],
  ["yahoo", "Yahoo Finance export"],
  ["binance", "Binance dump"],
  ["ccxt", "ccxt JSON"],
  ["dbn", "Databento DBN"],
] as const;

const UNITS = [
  ["", "Automatic"],
  ["s", "Seconds"],
  ["ms", "Milliseconds"],
  ["us", "Microseconds"],
] as const;

function ImportSection({ onImported }: { onImported: (datasetId: string) => void }) {
  const client = useQueryClient();
  const inputRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [symbol, setSymbol] = useState("");
  const [timeframe, setTimeframe] = useState("");
  const [source, setSource] = useState("");
  const [format, setFormat] = useState("");
  const [unit, setUnit] = useState("");
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [symbolError, setSymbolError] = useState<string | undefined>();

  const upload = useMutation({
    mutationFn: (f: File) =>
      uploadCandles(
        f,
        {
          symbol: symbol.trim(),
          timeframe: timeframe.trim() || undefined,
          source: source.trim() || undefined,
          format: format || undefined,
          timestamp_unit: unit || undefined,
        },
        setProgress,
      ),
    onSuccess: async (r) => {
      await client.invalidateQueries({ queryKey: keys.datasets });
      await client.invalidateQueries({ queryKey: keys.candlesOf(r.dataset.id) });
      onImported(r.dataset.id);
    },
    onSettled: () => setProgress(null),
  });

  const choose = (f: File | undefined) => {
    if (!f) return;
    setFile(f);
    upload.reset();
    const guess = symbolFromName(f.name);
    if (guess) setSymbol(guess);
  };

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    choose(e.dataTransfer.files[0]);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const s = symbol.trim();
    if (!/^[^:\s]{1,64}$/.test(s)) {
      setSymbolError("Give the symbol the candles are of, like BTC-USD (no spaces or colons).");
      return;
    }
    setSymbolError(undefined);
    upload.mutate(file);
  };

  return (
    <section className="section card" aria-labelledby="import-title">
      <h2 id="import-title">Import a candle file</h2>
      <p className="help">
        CSV with a header (time, open, high, low, close, volume), a Yahoo Finance export, a Binance dump, ccxt JSON or a
        Databento DBN file, gzip-compressed or not, up to 64 MB. Nothing is stored unless every row is good.
      </p>
      <div
        className={`drop-zone${over ? " drop-over" : ""}`}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>
          {file ? (
            <>
              <strong className="file-name">{file.name}</strong> · {plain(Math.ceil(file.size / 1024))} KB
            </>
          ) : (
            "Drop a candle file here, or"
          )}
        </p>
        <button type="button" className="button" onClick={() => inputRef.current?.click()}>
          {file ? "Choose another file" : "Choose a file"}
        </button>
        <input
          ref={inputRef}
          type="file"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            choose(e.target.files?.[0]);
            e.target.value = "";
          }}
        />
      </div>
      {file && (
        <form onSubmit={submit} noValidate>
          <div className="field-row">
            <Field label="Symbol" help="For example BTC-USD or ETH-BTC." error={symbolError}>
              <input value={symbol} onChange={(e) => setSymbol(e.target.value)} autoComplete="off" spellCheck={false} />
            </Field>
            <Field label="Timeframe (optional)" help="The file's own, or a multiple of it (e.g. 4h).">
              <input value={timeframe} onChange={(e) => setTimeframe(e.target.value)} autoComplete="off" />
            </Field>
            <Field label="Source name (optional)" help="Importing again with the same name adds to the dataset.">
              <input value={source} onChange={(e) => setSource(e.target.value)} placeholder="file" autoComplete="off" />
            </Field>
            <Field label="Format" help="Read from the content unless chosen.">
              <select value={format} onChange={(e) => setFormat(e.target.value)}>
                {FORMATS.map(([v, label]) => (
                  <option key={v} value={v}>
                    {label}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Unit of numeric times" help="Told from their size unless chosen.">
              <select value={unit} onChange={(e) => setUnit(e.target.value)}>
                {UNITS.map(([v, label]) => (
                  <option key={v} value={v}>
                    {label}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <div className="actions">
            <button type="submit" className="button primary" disabled={upload.isPending}>
              Import
            </button>
          </div>
        </form>
      )}
      {upload.isPending && <UploadProgress fraction={progress} />}
      {upload.error && <ImportError error={upload.error} />}
      {upload.data && <ImportDone result={upload.data} />}
    </section>
  );
}

function UploadProgress({ fraction }: { fraction: number | null }) {
  const percent = fraction === null ? 0 : Math.round(fraction * 100);
  const checking = fraction !== null && fraction >= 1;
  return (
    <div className="run-progress">
      <div
        className="progress"
        role="progressbar"
        aria-label="Upload"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={checking ? "Uploaded; checking the candles" : `${percent}% uploaded`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p aria-live="polite" className="progress-message">
        {checking ? "Uploaded; checking and storing the candles…" : `Uploading… ${percent}%`}
      </p>
    </div>
  );
}

function ImportError({ error }: { error: Error }) {
  const details = error instanceof ApiError ? error.details : null;
  const line = typeof details?.line === "number" ? details.line : null;
  const reason = typeof details?.reason === "string" ? details.reason : null;
  const field = typeof details?.field === "string" ? details.field : null;
  return (
    <div className="error-box import-error" role="alert">
      <p>
        <strong>The file was not imported.</strong> {error.message}
      </p>
      {line !== null && !error.message.toLowerCase().includes(`line ${line}`) && (
        <p>
          Line {plain(line)}
          {reason && `: ${reason}`}
        </p>
      )}
      {field && <p>Check the {field.replace(/_/g, " ")}.</p>}
    </div>
  );
}

function ImportDone({ result }: { result: ImportResult }) {
  const d = result.dataset;
  const i = result.import;
  const q = result.quality;
  const dropped = q.duplicates_dropped.count;
  return (
    <div className="success-box import-result" role="status">
      <p>
        <strong>
          {count(i.inserted, "new candle")} stored in {d.symbol}, {timeframeWords(d.timeframe)}
        </strong>
        {result.created ? " (a new dataset)" : ""}.
      </p>
      <p>
        {count(i.rows_read, "row")} read as {i.format}
        {i.compression !== "none" && ` (${i.compression})`}
        {result.resampled_from && `, aggregated from ${timeframeWords(result.resampled_from)} candles`}; {count(i.unchanged, "candle")}{" "}
        already stored; {count(dropped, "duplicate")} dropped.
      </p>
      <p>
        Quality of the dataset: {count(q.gaps.count, "gap")} ({count(q.missing_bars, "candle")} missing),{" "}
        {count(q.inconsistent_bars.count + q.non_positive_prices.count, "bad candle")},{" "}
        {count(q.volume_outliers.count + q.price_outliers.count, "outlier")}. Coverage {coverageWords(d)}.
      </p>
    </div>
  );
}

/** Once market data is ready: pick one of your strategies or a template and open the run dialog on it. */
function BacktestWith({ datasetId }: { datasetId: string }) {
  const mine = useMyStrategies();
  const templates = useTemplates();
  const choices = [...(mine.data?.items ?? []), ...(templates.data?.items ?? [])].filter(
    (s, i, all) => s.latest_version > 0 && all.findIndex((o) => o.id === s.id) === i,
  );
  const [picked, setPicked] = useState("");
  const [target, setTarget] = useState<RunTarget | null>(null);
  const chosen = choices.find((s) => s.id === picked) ?? choices[0];
  if (!chosen) return null;
  return (
    <div className="field-row backtest-with">
      <Field label="Strategy to test">
        <select value={chosen.id} onChange={(e) => setPicked(e.target.value)}>
          {choices.map((s) => (
            <option key={s.id} value={s.id}>
              {s.title}
            </option>
          ))}
        </select>
      </Field>
      <div className="actions">
        <button
          type="button"
          className="button primary"
          onClick={() => setTarget({ id: chosen.id, title: chosen.title, latest_version: chosen.latest_version })}
        >
          Backtest with this data
        </button>
      </div>
      <RunDialog strategy={target} datasetId={datasetId} onClose={() => setTarget(null)} />
    </div>
  );
}
