// The first-run checklist, derived from real data: the user's strategies (a template picked,
// a parameter changed = a second version), their runs, and two flags kept in localStorage
// (result read, runs compared) because nothing on the server records them.
import { useCallback, useEffect, useState } from "react";
import { useMyStrategies, useRuns } from "./queries";

type Flag = "read-result" | "compared";
const EVENT = "bb-onboarding";

function key(userId: string, flag: Flag) {
  return `bb.onboarding.${userId}.${flag}`;
}

export function markOnboarding(userId: string, flag: Flag) {
  try {
    if (localStorage.getItem(key(userId, flag))) return;
    localStorage.setItem(key(userId, flag), String(Date.now()));
    window.dispatchEvent(new Event(EVENT));
  } catch {
    // storage unavailable: the step simply stays open
  }
}

function useFlag(userId: string, flag: Flag): boolean {
  const read = useCallback(() => {
    try {
      return !!localStorage.getItem(key(userId, flag));
    } catch {
      return false;
    }
  }, [userId, flag]);
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read());
    update();
    window.addEventListener(EVENT, update);
    window.addEventListener("storage", update);
    return () => {
      window.removeEventListener(EVENT, update);
      window.removeEventListener("storage", update);
    };
  }, [read]);
  return value;
}

export interface OnboardingState {
  loading: boolean;
  picked: boolean;
  ran: boolean;
  read: boolean;
  changed: boolean;
  compared: boolean;
  firstStrategyId?: string;
  changedStrategyId?: string;
  latestRunId?: string;
}

export function useOnboarding(userId: string): OnboardingState {
  const mine = useMyStrategies();
  const runs = useRuns("backtests", { status: "succeeded", limit: 1 });
  const read = useFlag(userId, "read-result");
  const compared = useFlag(userId, "compared");
  const items = mine.data?.items ?? [];
  const starter = items.find((s) => s.tags.includes("starter")) ?? items[0];
  const changed = items.find((s) => s.latest_version >= 2);
  return {
    loading: mine.isLoading || runs.isLoading,
    picked: items.length > 0,
    ran: (runs.data?.total ?? 0) > 0,
    read,
    changed: !!changed,
    compared,
    firstStrategyId: (changed ?? starter)?.id,
    changedStrategyId: changed?.id,
    latestRunId: runs.data?.items[0]?.id,
  };
}
