// A check's level as a badge: a mark and a word (never colour alone).
import type { Level } from "../api/types";
import { levelWords } from "../lib/robustness";

const MARK: Record<Level, string> = { pass: "✓", caution: "!", fail: "✗", unknown: "?" };

export function LevelBadge({ level, big }: { level: Level; big?: boolean }) {
  return (
    <span className={`pill level level-${level}${big ? " level-big" : ""}`}>
      <span aria-hidden="true">{MARK[level] ?? "?"} </span>
      {levelWords(level)}
    </span>
  );
}
