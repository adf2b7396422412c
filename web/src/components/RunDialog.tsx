// "Run backtest": the settings form, then the live progress of the queued run, then the
// results page. A plan limit opens the upgrade prompt instead of an error.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { keys } from "../api/keys";
import type { CreateBacktest, Diagnostic } from "../api/types";
import { backtestQuery, useDatasets, useSettingsRanges } from "../hooks/queries";
import { useUpgradePrompt } from "../hooks/upgrade";
import { useRunEvents, type RunProgress } from "../hooks/useRunEvents";
import { bringUpToDate, refreshable } from "../api/refresh";
import { datasetLabel, defaultDataset } from "./DatasetSelect";
import { AnotherMarket } from "./AnotherMarket";
import { Modal } from "./Modal";
import { RunProgressView } from "./ProgressBar";
import {
  apiFieldToSetting,
  defaultSettings,
  RunSettingsFields,
  settingsToRequest,
  type FieldErrors,
  type RunSettings,
} from "./RunSettings";

export interface RunTarget {
  id: string;
  title: string;
  latest_version: number;
  version?: number;
}

interface Props {
  strategy: RunTarget | null;
  /** The candles to start with (else the default dataset). */
  datasetId?: string;
  onClose(): void;
}

export function RunDialog({ strategy, datasetId, onClose }: Props) {
  return (
    <Modal open={!!strategy} title={strategy ? `Run a backtest: ${strategy.title}` : "Run a backtest"} onClose={onClose} wide>
      {strategy && <RunForm key={strategy.id} strategy={strategy} datasetId={datasetId} onClose={onClose} />}
    </Modal>
  );
}

function RunForm({ strategy, datasetId, onClose }: { strategy: RunTarget; datasetId?: string; onClose(): void }) {
  const datasets = useDatasets();
  const ranges = useSettingsRanges();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const showQuota = useUpgradePrompt();
  const [settings, setSettings] = useState<RunSettings | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [runId, setRunId] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<RunProgress | null>(null);
  // "Another market…": the market picker in place of the form, then back with its dataset chosen.
  const [picking, setPicking] = useState(false);
  const [fetchedId, setFetchedId] = useState<string | null>(null);
  // Refresh on use: a Binance dataset is brought up to now before the run (percent, or null).
  const [refreshing, setRefreshing] = useState<number | null>(null);
  const [dataNotice, setDataNotice] = useState<string | null>(null);
  const version = strategy.version ?? strategy.latest_version;
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (Object.keys(errors).length) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  useEffect(() => {
    // Warm the results page's charts while the user looks at the settings.
    import("./ResultCharts").catch(() => {});
  }, []);

  useEffect(() => {
    if (settings || !datasets.data || !ranges.data) return;
    const d = defaultDataset(datasets.data.items);
    setSettings(defaultSettings(ranges.data, datasetId ?? d?.id ?? ""));
  }, [datasets.data, ranges.data, settings, datasetId]);

  const onMarketReady = useCallback((id: string) => {
    setSettings((s) => s && { ...s, datasetId: id, timeframe: "", from: "", to: "" });
    setFetchedId(id);
    setPicking(false);
  }, []);

  const progress = useRunEvents("backtest", runId, (p) => {
    queryClient.invalidateQueries({ queryKey: keys.runs.all });
    queryClient.invalidateQueries({ queryKey: keys.planUsage });
    if (p.status === "succeeded" && runId) {
      queryClient.prefetchQuery(backtestQuery(runId));
      onClose();
      navigate(`/backtests/${runId}`);
    } else {
      setOutcome(p);
      setRunId(null);
    }
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!settings || !ranges.data || submitting) return;
    setOutcome(null);
    setDiagnostics([]);
    const checked = settingsToRequest(settings, ranges.data);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setSubmitting(true);
    try {
      const chosen = datasets.data?.items.find((d) => d.id === settings.datasetId);
      if (!settings.to && refreshable(chosen)) {
        setDataNotice(await bringUpToDate(chosen, setRefreshing));
        queryClient.invalidateQueries({ queryKey: keys.datasets });
      }
      const body: CreateBacktest = { strategy_id: strategy.id, version, ...checked.body };
      const run = await data(api.POST("/api/v1/backtests", { body }));
      queryClient.invalidateQueries({ queryKey: keys.planUsage });
      setRunId(run.id);
    } catch (err) {
      if (showQuota(err)) {
        onClose();
        return;
      }
      if (err instanceof ApiError) {
        const field = apiFieldToSetting(err.details?.field);
        setErrors(field ? { [field]: err.message } : { form: err.message });
        const diags = err.diagnostics;
        if (diags) setDiagnostics(diags);
      } else {
        setErrors({ form: "Could not reach the server. Check your connection and try again." });
      }
    } finally {
      setSubmitting(false);
    }
  };

  const cancel = async () => {
    if (!runId) return;
    try {
      await api.POST("/api/v1/backtests/{id}/cancel", { params: { path: { id: runId } } });
    } catch {
      // it may have finished meanwhile; the stream tells
    }
  };

  if (strategy.latest_version < 1) {
    return (
      <p>
        This strategy has no saved version yet. Open it in the editor, add blocks and save, then run a backtest.
      </p>
    );
  }
  if (runId) {
    return (
      <div className="run-live">
        <p>
          Testing version {version} of <strong>{strategy.title}</strong>. The results open as soon as it is done.
        </p>
        {dataNotice && <p className="help">{dataNotice}</p>}
        <RunProgressView progress={progress} label="Backtest progress" />
        <div className="actions">
          <button type="button" className="button" onClick={cancel}>
            Cancel the run
          </button>
        </div>
      </div>
    );
  }
  if (datasets.error) return <p className="error-box">{datasets.error.message}</p>;
  if (ranges.error) return <p className="error-box">{ranges.error.message}</p>;
  if (datasets.isLoading || !settings || !ranges.data) return <p role="status">Loading the market data…</p>;
  if (picking) return <AnotherMarket usedBy="this backtest" onReady={onMarketReady} onBack={() => setPicking(false)} />;
  const fetched = fetchedId ? datasets.data?.items.find((d) => d.id === fetchedId) : undefined;

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="run-form">
      <p className="help">
        Testing version {version}. The defaults are the honest ones: every trade pays a fee and a little slippage, and
        orders fill at the next price you could really get. Change them only if you know your costs.
      </p>
      {outcome?.status === "failed" && (
        <p className="error-box" role="alert">
          The backtest failed: {outcome.error}
        </p>
      )}
      {outcome?.status === "cancelled" && <p role="status">The backtest was cancelled.</p>}
      {errors.form && (
        <div className="error-box" role="alert">
          <p>{errors.form}</p>
          {diagnostics.length > 0 && (
            <ul>
              {diagnostics.map((d, i) => (
                <li key={i}>{d.message}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {fetched && fetched.id === settings.datasetId && (
        <p className="success-box" role="status">
          Ready and chosen: {datasetLabel(fetched)}.
        </p>
      )}
      <RunSettingsFields
        onPickMarket={() => setPicking(true)}
        value={settings}
        onChange={setSettings}
        datasets={datasets.data?.items ?? []}
        ranges={ranges.data}
        errors={errors}
      />
      <div className="actions">
        <button type="submit" className="button primary" disabled={submitting}>
          {refreshing !== null ? `Fetching the newest candles… ${Math.round(refreshing)}%` : submitting ? "Starting…" : "Run backtest"}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
