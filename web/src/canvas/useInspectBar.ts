// The inspector on the canvas: `?inspect=<run id>&at=<ms>` (the results page's "Show on the
// canvas") fetches that run's inspection and marks every block with its value on the bar.
// The run's strategy version opens read-only when the canvas shows another one.
import { useCallback, useEffect, useMemo, useRef } from "react";
import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router-dom";
import { backtestQuery, useInspection } from "../hooks/queries";
import type { Catalogue } from "./catalogue";
import { inspectMarks, type BlockMark } from "./inspectMarks";
import type { StrategyDoc } from "./types";

interface Options {
  strategyId: string;
  /** The saved version the canvas shows, or null for an unsaved draft. */
  shownVersion: number | null;
  shown: StrategyDoc;
  catalogue: Catalogue;
  viewVersion: (n: number) => void;
}

const NONE = new Map<string, BlockMark[]>();

function msParam(v: string | null): number | null {
  if (v === null || v === "") return null;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const parsed = Date.parse(v);
  return Number.isFinite(parsed) ? parsed : null;
}

export function useInspectBar({ strategyId, shownVersion, shown, catalogue, viewVersion }: Options) {
  const [params, setParams] = useSearchParams();
  const runId = params.get("inspect");
  const at = runId ? msParam(params.get("at")) : null;
  const run = useQuery({ ...backtestQuery(runId ?? ""), enabled: !!runId });
  const seen = useInspection(runId ?? "", at);
  const r = run.data;
  const sameStrategy = !!r && r.strategy_id === strategyId;

  // Once per run: show the version it tested.
  const switched = useRef<string | null>(null);
  useEffect(() => {
    if (!r || !sameStrategy || switched.current === r.id) return;
    switched.current = r.id;
    if (shownVersion !== r.version) viewVersion(r.version);
  }, [r, sameStrategy, shownVersion, viewVersion]);

  const inspection = seen.data;
  const marks = useMemo(
    () => (inspection && sameStrategy ? inspectMarks(inspection, shown, catalogue) : NONE),
    [inspection, sameStrategy, shown, catalogue],
  );

  const setAt = useCallback(
    (ms: number) =>
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          next.set("at", String(ms));
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  const move = useCallback(
    (step: number) => {
      if (!inspection) return;
      const i = inspection.bars.indexOf(inspection.ts) + step;
      if (i >= 0 && i < inspection.bars.length) setAt(inspection.bars[i]);
    },
    [inspection, setAt],
  );
  const close = useCallback(
    () =>
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          next.delete("inspect");
          next.delete("at");
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  return {
    active: !!runId,
    runId,
    at,
    run: r ?? null,
    sameStrategy,
    inspection: inspection ?? null,
    loading: run.isLoading || seen.isLoading,
    error: run.error ?? seen.error,
    marks,
    shownVersion,
    move,
    close,
    viewVersion,
  };
}

export type InspectBar = ReturnType<typeof useInspectBar>;
