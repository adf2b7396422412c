// A deleted account lands on the login page, which says so. Clearing the session lets the
// signed-in routes redirect to the login page at the same time as the dialog navigates there,
// so the fact is kept here too (in memory) and the redirect carries it as router state.

export const DELETED_STATE = { accountDeleted: true } as const;

let justDeleted = false;

/** Remembers that this tab's account was just deleted (before the session is cleared). */
export function markAccountDeleted(): void {
  justDeleted = true;
}

/** Forgets it (a new sign-in). */
export function clearAccountDeleted(): void {
  justDeleted = false;
}

/** Whether this tab's account was just deleted, by the router state or the mark. */
export function isAccountDeleted(state: unknown): boolean {
  if (justDeleted) return true;
  return typeof state === "object" && state !== null && (state as { accountDeleted?: unknown }).accountDeleted === true;
}
