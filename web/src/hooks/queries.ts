// The API reads the pages share, with their cache keys in one place.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type {
  BlockInfo,
  DatasetList,
  PlanUsage,
  RunPage,
  Strategy,
  StrategyPage,
  VersionSummary,
  VersionView,
} from "../api/types";

export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") s.set(k, String(v));
  const t = s.toString();
  return t ? `?${t}` : "";
}

export function useMyStrategies() {
  return useQuery({
    queryKey: ["strategies", "mine"],
    queryFn: () => api.get<StrategyPage>(`/api/v1/strategies${qs({ mine: true, limit: 100 })}`),
  });
}

export function useTemplates() {
  return useQuery({
    queryKey: ["strategies", "public"],
    queryFn: () => api.get<StrategyPage>(`/api/v1/strategies${qs({ visibility: "public", limit: 100 })}`),
    staleTime: 60_000,
  });
}

export function useStrategy(id: string | undefined) {
  return useQuery({
    queryKey: ["strategies", "one", id],
    queryFn: () => api.get<Strategy>(`/api/v1/strategies/${id}`),
    enabled: !!id,
  });
}

export function useVersions(id: string | undefined, enabled = true) {
  return useQuery({
    queryKey: ["strategies", "versions", id],
    queryFn: () => api.get<VersionSummary[]>(`/api/v1/strategies/${id}/versions`),
    enabled: !!id && enabled,
  });
}

export function useVersion(id: string | undefined, version: number | undefined) {
  return useQuery({
    queryKey: ["strategies", "version", id, version],
    queryFn: () => api.get<VersionView>(`/api/v1/strategies/${id}/versions/${version}`),
    enabled: !!id && !!version,
    staleTime: Infinity,
    // While a newer version loads, keep showing the previous one of the same strategy.
    placeholderData: (prev) => (prev && prev.strategy_id === id ? prev : undefined),
  });
}

export function useDatasets() {
  return useQuery({
    queryKey: ["datasets"],
    queryFn: () => api.get<DatasetList>("/api/v1/market/datasets"),
    staleTime: 5 * 60_000,
  });
}

export function usePlanUsage() {
  return useQuery({
    queryKey: ["plan-usage"],
    queryFn: () => api.get<PlanUsage>("/api/v1/plan-usage"),
  });
}

export function useBlocks() {
  return useQuery({
    queryKey: ["blocks"],
    queryFn: () => api.get<{ blocks: BlockInfo[] }>("/api/v1/blocks"),
    staleTime: Infinity,
  });
}

export interface RunFilters {
  strategy_id?: string;
  version?: number;
  status?: string;
  limit?: number;
  offset?: number;
}

/** Runs, newest first; `live` polls every 2 s while one of them is queued or running. */
export function useRuns(kind: "backtests" | "sweeps", filters: RunFilters = {}, live = false) {
  return useQuery({
    queryKey: ["runs", kind, filters],
    queryFn: () => api.get<RunPage>(`/api/v1/${kind}${qs({ limit: 20, ...filters })}`),
    refetchInterval: live
      ? (q) => (q.state.data?.items.some((r) => r.status === "queued" || r.status === "running") ? 2000 : false)
      : false,
  });
}

/** Every strategy title the user can see (their own and the templates), by id. */
export function useStrategyTitles(): Map<string, string> {
  const mine = useMyStrategies();
  const pub = useTemplates();
  const m = new Map<string, string>();
  for (const s of pub.data?.items ?? []) m.set(s.id, s.title);
  for (const s of mine.data?.items ?? []) m.set(s.id, s.title);
  return m;
}
