// The one way the app talks to the API: JSON over fetch with the access token, a single
// refresh (the httpOnly `bb_refresh` cookie) when the token has expired, and errors as
// `ApiError` carrying the server's stable `code` and `details`.
import type { components } from "./schema";

export type Schemas = components["schemas"];

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: Record<string, unknown> | null,
  ) {
    super(message);
  }
}

const TOKEN_KEY = "bb.token";
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
const listeners = new Set<() => void>();

export function getToken(): string | null {
  return token;
}

export function setToken(next: string | null): void {
  token = next;
  if (next) sessionStorage.setItem(TOKEN_KEY, next);
  else sessionStorage.removeItem(TOKEN_KEY);
  listeners.forEach((l) => l());
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// One refresh at a time: a refresh token presented twice ends the whole session family, so
// concurrent 401s (or React's double effects) share the same exchange.
let refreshing: Promise<boolean> | null = null;

export function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const r = await fetch("/api/v1/auth/refresh", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: "{}",
        });
        if (!r.ok) return false;
        const session = (await r.json()) as Schemas["Session"];
        setToken(session.access_token);
        return true;
      } catch {
        return false;
      } finally {
        setTimeout(() => (refreshing = null), 0);
      }
    })();
  }
  return refreshing;
}

async function toError(r: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
  try {
    body = await r.json();
  } catch {
    // not JSON
  }
  return new ApiError(
    r.status,
    body.error?.code ?? "internal",
    body.error?.message ?? `The server answered ${r.status}.`,
    body.error?.details ?? null,
  );
}

/** Sends a request; `body` is sent as JSON unless it is a Blob or string. */
export async function request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload: BodyInit | undefined;
  if (body instanceof Blob || typeof body === "string") payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (r.status === 401 && !retried && !path.startsWith("/api/v1/auth/")) {
    if (await refresh()) return request<T>(method, path, body, true);
    // The session is over: forget the token so the app asks to log in again.
    if (token) setToken(null);
  }
  if (!r.ok) throw await toError(r);
  if (r.status === 204) return undefined as T;
  const type = r.headers.get("content-type") ?? "";
  return (type.includes("json") ? await r.json() : await r.text()) as T;
}

/** Fetches a file (e.g. a CSV export) with the access token, as a Blob. */
export async function requestBlob(path: string, retried = false): Promise<Blob> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(path, { headers, credentials: "same-origin" });
  if (r.status === 401 && !retried && (await refresh())) return requestBlob(path, true);
  if (!r.ok) throw await toError(r);
  return await r.blob();
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  del: <T>(path: string) => request<T>("DELETE", path),
};

/** An EventSource on an API stream, authenticated by the `access_token` query parameter. */
export function eventSource(path: string): EventSource {
  const sep = path.includes("?") ? "&" : "?";
  return new EventSource(`${path}${sep}access_token=${encodeURIComponent(token ?? "")}`);
}
