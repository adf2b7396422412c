// Follows a backtest, sweep or robustness check live: the run's event stream (queued, started, progress,
// retrying, then succeeded | failed | cancelled), with a fallback to polling the run when the
// stream cannot be used (an expired token, a proxy that buffers).
import { useEffect, useRef, useState } from "react";
import { api, data, eventSource, refresh } from "../api/client";
import { isObject, parseJson, textField } from "../lib/json";

export type RunKind = "backtest" | "sweep" | "robustness";

export interface RunProgress {
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled" | "unknown";
  percent: number;
  message: string;
  error?: string;
}

export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

interface EventPayload {
  percent?: number;
  message?: string;
  error?: string;
}

/** The event's JSON payload, keeping only the fields of the expected types. */
function payload(ev: Event): EventPayload {
  const raw = ev instanceof MessageEvent ? parseJson(ev.data) : null;
  if (!isObject(raw)) return {};
  const percent = raw.percent;
  return {
    percent: typeof percent === "number" ? percent : typeof percent === "string" ? Number(percent) : undefined,
    message: textField(raw, "message"),
    error: textField(raw, "error"),
  };
}

function getRun(kind: RunKind, id: string) {
  const params = { params: { path: { id } } };
  if (kind === "robustness") return data(api.GET("/api/v1/robustness/{id}", params));
  return data(kind === "sweep" ? api.GET("/api/v1/sweeps/{id}", params) : api.GET("/api/v1/backtests/{id}", params));
}

/** Live progress of run `id` (null: nothing to follow). Calls `onDone` once when it ends. */
/** Runs the user has followed live on screen: their finish needs no toast. */
export const followedRuns = new Set<string>();

export function useRunEvents(
  kind: RunKind,
  id: string | null,
  onDone?: (p: RunProgress) => void,
  initial?: Partial<RunProgress>,
): RunProgress {
  if (id) followedRuns.add(id);
  const [progress, setProgress] = useState<RunProgress>({
    status: "queued",
    percent: 0,
    message: "Waiting for a free worker…",
    ...initial,
  });
  const done = useRef(onDone);
  done.current = onDone;

  useEffect(() => {
    if (!id) return;
    let finished = false;
    let source: EventSource | null = null;
    let poll: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;

    const finish = (p: RunProgress) => {
      if (finished) return;
      finished = true;
      source?.close();
      setProgress(p);
      done.current?.(p);
    };

    const apply = (kindName: string, data: EventPayload) => {
      if (finished) return;
      switch (kindName) {
        case "queued":
          setProgress((p) => ({ ...p, status: "queued", message: "Waiting for a free worker…" }));
          break;
        case "started":
          setProgress((p) => ({ ...p, status: "running", message: "Started" }));
          break;
        case "retrying":
          setProgress((p) => ({ ...p, status: "queued", message: "Something went wrong on the worker; trying again…" }));
          break;
        case "progress":
          setProgress((p) => ({
            ...p,
            status: "running",
            percent: Math.max(p.percent, Number(data.percent ?? p.percent)),
            message: data.message ?? p.message,
          }));
          break;
        case "succeeded":
          finish({ status: "succeeded", percent: 100, message: "Finished" });
          break;
        case "failed":
          finish({ status: "failed", percent: 100, message: "Failed", error: data.error ?? "The run failed." });
          break;
        case "cancelled":
          finish({ status: "cancelled", percent: 0, message: "Cancelled" });
          break;
      }
    };

    const pollOnce = async () => {
      if (stopped || finished) return;
      try {
        const run = await getRun(kind, id);
        if (TERMINAL.has(run.status)) {
          apply(run.status, { error: run.error ?? undefined });
          return;
        }
        setProgress((p) => ({
          ...p,
          status: run.status === "running" ? "running" : "queued",
          percent: Math.max(p.percent, run.progress),
        }));
      } catch {
        // try again below
      }
      if (!stopped && !finished) poll = setTimeout(pollOnce, 1000);
    };

    const open = (retry: boolean) => {
      source =
        kind === "robustness"
          ? eventSource("/api/v1/robustness/{id}/events", { id })
          : eventSource(kind === "sweep" ? "/api/v1/sweeps/{id}/events" : "/api/v1/backtests/{id}/events", { id });
      for (const name of ["queued", "started", "retrying", "progress", "succeeded", "failed", "cancelled"]) {
        source.addEventListener(name, (ev) => apply(name, payload(ev)));
      }
      source.onerror = async () => {
        if (finished || stopped || !source) return;
        if (source.readyState === EventSource.CLOSED) {
          // Refused (e.g. the token expired): refresh once and reopen, else poll.
          if (retry && (await refresh()) && !stopped) open(false);
          else pollOnce();
        }
      };
    };
    open(true);
    return () => {
      stopped = true;
      source?.close();
      if (poll) clearTimeout(poll);
    };
  }, [kind, id]);

  return progress;
}
