// The one way the app talks to the API: a client typed from the OpenAPI spec (`paths` in
// schema.d.ts, through openapi-fetch), with the access token, a single refresh (the httpOnly
// `bb_refresh` cookie) when the token has expired, and errors as `ApiError` carrying the
// server's stable `code` and `details`.
//
//   const run = await data(api.GET("/api/v1/backtests/{id}", { params: { path: { id } } }));
//
// Path, parameters, body and answer all come from the spec; a non-2xx answer throws.
import createClient, { defaultPathSerializer, type Middleware } from "openapi-fetch";
import { isObject } from "../lib/json";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export class ApiError extends Error {
  constructor(
    public status: number,
    /** The server's stable code (the spec's `ErrorCode`). */
    public code: ErrorCode,
    message: string,
    public details: Record<string, unknown> | null,
    public requestId: string | null = null,
    /** `Retry-After` of a 429, in seconds; null without it. */
    public retryAfter: number | null = null,
  ) {
    super(message);
  }

  /** `details.diagnostics`: the problems of a graph the server refused; null without them. */
  get diagnostics(): Schemas["Diagnostic"][] | null {
    const list = this.details?.diagnostics;
    return Array.isArray(list) ? list.filter(isDiagnostic) : null;
  }
}

function isDiagnostic(v: unknown): v is Schemas["Diagnostic"] {
  return isObject(v) && typeof v.code === "string" && typeof v.message === "string" && (v.severity === "error" || v.severity === "warning");
}

const TOKEN_KEY = "bb.token";
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
const listeners = new Set<() => void>();

export function getToken(): string | null {
  return token;
}

// Whether this browser may hold a refresh cookie: set when a session starts, cleared when it
// ends. The cookie itself is httpOnly, so without this hint a signed-out first load would ask
// `/me` and `/auth/refresh` only to be refused (two 401s in the console).
const SESSION_HINT_KEY = "bb.session";

function setHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_HINT_KEY, "1");
    else localStorage.removeItem(SESSION_HINT_KEY);
  } catch {
    // storage blocked: the hint is only an optimisation
  }
}

/** Whether a session may exist: a token in this tab, or a sign-in in this browser not yet ended. */
export function mayHaveSession(): boolean {
  if (token) return true;
  try {
    return localStorage.getItem(SESSION_HINT_KEY) === "1";
  } catch {
    return true;
  }
}

export function setToken(next: string | null): void {
  token = next;
  if (next) sessionStorage.setItem(TOKEN_KEY, next);
  else sessionStorage.removeItem(TOKEN_KEY);
  setHint(!!next);
  listeners.forEach((l) => l());
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// The refresh goes out without the access token and without the retry below.
const bare = createClient<paths>({ credentials: "same-origin" });

// One refresh at a time: a refresh token presented twice ends the whole session family, so
// concurrent 401s (or React's double effects) share the same exchange.
let refreshing: Promise<boolean> | null = null;

// A page being left does not refresh: its streams close as it goes and would ask, and the
// new token in the answer would be lost with the page, so the next page would present the
// old one again (and end the session).
let leaving = false;
for (const event of ["beforeunload", "pagehide"]) window.addEventListener(event, () => (leaving = true));
window.addEventListener("pageshow", () => (leaving = false));

export function refresh(): Promise<boolean> {
  if (leaving) return Promise.resolve(false);
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const { data: session } = await bare.POST("/api/v1/auth/refresh", { body: {} });
        if (!session) return false;
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

function withToken(request: Request): Request {
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  return request;
}

/** Sends a request with the access token; on a 401 refreshes once and sends it again. */
async function authFetch(request: Request): Promise<Response> {
  const again = request.clone(); // before the body is used
  const first = await fetch(withToken(request));
  if (first.status !== 401 || new URL(request.url).pathname.startsWith("/api/v1/auth/")) return first;
  if (await refresh()) return fetch(withToken(again));
  // The session is over: forget the token so the app asks to log in again.
  if (token) setToken(null);
  return first;
}

export type ErrorCode = Schemas["ErrorCode"];

/** Every code of the spec's `ErrorCode` (a missing or unknown one fails to compile). */
const ERROR_CODES: Record<ErrorCode, true> = {
  validation_failed: true,
  bad_request: true,
  not_found: true,
  forbidden: true,
  unauthorized: true,
  two_factor_required: true,
  conflict: true,
  rate_limited: true,
  quota_exceeded: true,
  payload_too_large: true,
  method_not_allowed: true,
  timeout: true,
  upstream_unavailable: true,
  internal: true,
};

function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === "string" && Object.hasOwn(ERROR_CODES, v);
}

/** A code the spec lists, or `internal` for anything else (a proxy's page, a bug). */
function errorCode(v: unknown): ErrorCode {
  return isErrorCode(v) ? v : "internal";
}

/** The error envelope `{"error": {code, message, details, timestamp, requestId}}` as an `ApiError`. */
async function toError(r: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await r.json();
  } catch {
    // not JSON
  }
  const e = isObject(body) && isObject(body.error) ? body.error : {};
  return new ApiError(
    r.status,
    errorCode(e.code),
    typeof e.message === "string" ? e.message : `The server answered ${r.status}.`,
    isObject(e.details) ? e.details : null,
    typeof e.requestId === "string" ? e.requestId : null,
    retryAfterSeconds(r.headers.get("Retry-After")),
  );
}

/** `Retry-After` as whole seconds (the server sends seconds); null when absent or unreadable. */
function retryAfterSeconds(value: string | null): number | null {
  if (!value || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

const throwErrors: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await toError(response);
  },
};

/** The typed client: `api.GET(path, { params, ... })`, `api.POST(path, { params, body })`, … */
export const api = createClient<paths>({ credentials: "same-origin", fetch: authFetch });
api.use(throwErrors);

/** Refuses `data()` on an answer the spec gives no body (a 204): await the call itself. */
type WithBody<R extends { data?: unknown }> = [NonNullable<R["data"]>] extends [never] ? { "the answer has no body": never } : unknown;

/**
 * The answer's body, typed by the spec: `await data(api.GET(...))`. Errors have already been
 * thrown as `ApiError` by the client's middleware. For an answer without a body (204), await
 * the call itself.
 */
export async function data<R extends { data?: unknown; response: Response }>(reply: Promise<R> & WithBody<R>): Promise<NonNullable<R["data"]>> {
  const r = await reply;
  const body = r.data;
  if (body === undefined || body === null) throw new ApiError(r.response.status, "internal", "The server's answer had no body.", null);
  return body;
}

/** The API's event streams: the paths whose answer is `text/event-stream`. */
type StreamPath = {
  [P in keyof paths]: paths[P] extends { get: { responses: { 200: { content: { "text/event-stream": unknown } } } } } ? P : never;
}[keyof paths];

type StreamParams<P extends StreamPath> = paths[P] extends { get: { parameters: { path: infer A } } } ? [params: A & Record<string, unknown>] : [];

type StreamQuery<P extends StreamPath> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

/** An EventSource on an API stream, authenticated by the `access_token` query parameter;
 * `query` adds the stream's own parameters (a paper run's `after`). */
export function eventSource<P extends StreamPath>(path: P, ...args: [...StreamParams<P>, query?: StreamQuery<P>]): EventSource;
export function eventSource(path: string, ...args: (Record<string, unknown> | undefined)[]): EventSource {
  // A path with `{id}` takes its path parameters first.
  const [params, query] = path.includes("{") ? args : [undefined, args[0]];
  const url = params ? defaultPathSerializer(path, params) : path;
  const q = new URLSearchParams({ access_token: token ?? "" });
  for (const [k, v] of Object.entries(query ?? {})) q.set(k, String(v));
  return new EventSource(`${url}?${q}`);
}

/** The query of `POST /api/v1/market/imports`: the symbol, and optionally timeframe, source, format… */
export type ImportQuery = paths["/api/v1/market/imports"]["post"]["parameters"]["query"];
export type ImportResult = Schemas["ImportResult"];

function isImportResult(v: unknown): v is ImportResult {
  return (
    isObject(v) &&
    typeof v.created === "boolean" &&
    isObject(v.dataset) &&
    typeof v.dataset.id === "string" &&
    isObject(v.import) &&
    typeof v.import.inserted === "number" &&
    isObject(v.quality)
  );
}

interface Sent {
  status: number;
  body: string;
  type: string;
}

function sendWithProgress(url: string, file: Blob, onProgress?: (fraction: number) => void): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
    };
    xhr.upload.onload = () => onProgress?.(1);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText, type: xhr.getResponseHeader("Content-Type") ?? "" });
    xhr.onerror = () => reject(new ApiError(0, "internal", "The upload failed: the server could not be reached.", null));
    xhr.onabort = () => reject(new ApiError(0, "internal", "The upload was stopped.", null));
    xhr.send(file);
  });
}

/**
 * Uploads a candle file to `POST /api/v1/market/imports` as the raw body, reporting the
 * upload's progress (0 to 1), with the same access token and single refresh as `api`.
 * Resolves to the spec's `ImportResult`; a refusal throws an `ApiError` with the server's
 * `message` and `details` (a bad file's `line` and `reason`).
 */
export async function uploadCandles(file: Blob, query: ImportQuery, onProgress?: (fraction: number) => void): Promise<ImportResult> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (typeof v === "string" && v !== "") params.set(k, v);
  const url = `/api/v1/market/imports?${params}`;
  let sent = await sendWithProgress(url, file, onProgress);
  if (sent.status === 401) {
    if (await refresh()) sent = await sendWithProgress(url, file, onProgress);
    else if (token) setToken(null);
  }
  const response = new Response(sent.body, { status: sent.status, headers: { "Content-Type": sent.type } });
  if (!response.ok) throw await toError(response);
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  if (!isImportResult(body)) throw new ApiError(sent.status, "internal", "The server's answer was not an import result.", null);
  return body;
}
