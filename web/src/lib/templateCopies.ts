// Which of the user's strategies is their copy of a template. A clone does not record its
// source on the server, so the app remembers the copy's id (local storage) when it makes one,
// and otherwise recognises a copy by the template's title.
import type { Strategy } from "../api/types";

const KEY = "bb.templateCopies";

function read(): Record<string, string> {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v === "string") out[k] = v;
    return out;
  } catch {
    return {};
  }
}

/** Remembers `copyId` as the user's copy of template `templateId`. */
export function rememberCopy(templateId: string, copyId: string): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...read(), [templateId]: copyId }));
  } catch {
    // storage full or blocked: the title still finds the copy
  }
}

/** The user's copy of `template` among `mine` (their strategies, archived ones excluded). */
export function findCopy(template: Strategy, mine: Strategy[]): Strategy | undefined {
  const remembered = read()[template.id];
  const byId = remembered ? mine.find((s) => s.id === remembered) : undefined;
  if (byId) return byId;
  return mine
    .filter((s) => s.id !== template.id && s.title === template.title && s.visibility !== "public")
    .sort((a, b) => b.updated_at - a.updated_at)[0];
}
