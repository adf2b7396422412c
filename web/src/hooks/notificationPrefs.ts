// Notification settings: for each notification kind, whether it is emailed (off, right away or
// in the daily digest) and sent to the webhooks (in the app it always is); the address emails
// go to and whether this server can send email; the caller's recent emails with their
// delivery state; and the unsubscribe link's one-click confirmation (no sign-in needed).
import { useQuery } from "@tanstack/react-query";
import { api, ApiError, data } from "../api/client";
import { isObject } from "../lib/json";

// The spec does not list these calls yet: the typed client, read loosely (same token, refresh
// and `ApiError`s).
interface Reply {
  data?: unknown;
  response: Response;
}
interface LooseClient {
  GET(path: string, init?: { params?: { query?: Record<string, unknown> } }): Promise<Reply>;
  PUT(path: string, init?: { body?: unknown }): Promise<Reply>;
}
const loose = api as unknown as LooseClient;

async function body<T>(reply: Promise<Reply>): Promise<T> {
  return (await data(reply)) as T;
}

export type EmailMode = "off" | "instant" | "daily";
export type WebhookMode = "on" | "off";

export interface KindPreference {
  kind: string;
  description: string;
  email: EmailMode;
  webhook: WebhookMode;
}

export interface PreferencesView {
  kinds: KindPreference[];
  email: {
    /** Where emails go (the account's address). */
    address: string;
    /** Whether this server can send email (SMTP is configured). */
    sending: boolean;
  };
}

export interface PreferenceChange {
  kind: string;
  email?: EmailMode;
  webhook?: WebhookMode;
}

/** `digest`: held for the next daily digest; `digested`: sent in one. */
export type EmailStatus = "queued" | "sent" | "failed" | "digest" | "digested";

export interface SentEmail {
  id: string;
  /** A notification kind, or `digest` for a daily digest. */
  kind: string;
  subject: string;
  status: EmailStatus;
  attempts: number;
  last_error: string | null;
  /** Unix ms. */
  created_at: number;
  /** Unix ms. */
  sent_at: number | null;
}

export interface EmailList {
  items: SentEmail[];
  total: number;
}

export interface UnsubscribeResult {
  kind: string;
  description: string;
}

/** The query keys of this page (under their own roots, beside `keys.notifications`). */
export const notificationPrefsKeys = {
  preferences: ["notification-preferences"],
  emails: ["emails", "recent"],
} as const;

export const EMAIL_LIMIT = 20;
const POLL_MS = 3_000;

export function usePreferences() {
  return useQuery({
    queryKey: notificationPrefsKeys.preferences,
    queryFn: () => body<PreferencesView>(loose.GET("/api/v1/notification-preferences")),
  });
}

export function savePreferences(items: PreferenceChange[]): Promise<PreferencesView> {
  return body<PreferencesView>(loose.PUT("/api/v1/notification-preferences", { body: { items } }));
}

/** The recent emails, asked again every few seconds while one is still on its way. */
export function useRecentEmails() {
  return useQuery({
    queryKey: notificationPrefsKeys.emails,
    queryFn: () => body<EmailList>(loose.GET("/api/v1/emails", { params: { query: { limit: EMAIL_LIMIT } } })),
    refetchInterval: (q) => (q.state.data?.items.some((e) => e.status === "queued") ? POLL_MS : false),
  });
}

/**
 * Turns off the emails of the kind an unsubscribe link names. The link works signed out, so
 * this is a plain `fetch` (no token, no refresh); a refusal throws an `ApiError` with the
 * server's message.
 */
export async function unsubscribe(token: string): Promise<UnsubscribeResult> {
  let r: Response;
  try {
    r = await fetch("/api/v1/email/unsubscribe", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify({ token }),
    });
  } catch {
    throw new ApiError(0, "internal", "Could not reach the server. Check your connection and try again.", null);
  }
  let answer: unknown = null;
  try {
    answer = await r.json();
  } catch {
    // not JSON
  }
  if (!r.ok) {
    const e = isObject(answer) && isObject(answer.error) ? answer.error : {};
    const message = typeof e.message === "string" ? e.message : `The server answered ${r.status}.`;
    const code = r.status === 404 ? "not_found" : r.status === 422 ? "validation_failed" : "internal";
    throw new ApiError(r.status, code, message, isObject(e.details) ? e.details : null);
  }
  if (!isObject(answer) || typeof answer.kind !== "string") {
    throw new ApiError(r.status, "internal", "The server's answer was not an unsubscribe result.", null);
  }
  return { kind: answer.kind, description: typeof answer.description === "string" ? answer.description : answer.kind };
}
