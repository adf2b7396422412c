// Notification settings: for each notification kind, whether it is emailed (off, right away or
// in the daily digest) and sent to the webhooks (in the app it always is); the address emails
// go to and whether this server can send email; the caller's recent emails with their
// delivery state; and the unsubscribe link's one-click confirmation (no sign-in needed).
import { useQuery } from "@tanstack/react-query";
import { api, data, type Schemas } from "../api/client";

export type PreferencesView = Schemas["PreferencesView"];
export type KindPreference = Schemas["KindPreference"];
export type PreferenceChange = Schemas["PreferenceChange"];
export type SentEmail = Schemas["EmailView"];
export type EmailList = Schemas["EmailList"];
export type UnsubscribeResult = Schemas["UnsubscribeResult"];

/** A kind's email: not at all, one email each right away, or in one daily digest. */
export type EmailMode = "off" | "instant" | "daily";
export type WebhookMode = "on" | "off";

/** The spec types the modes as strings: read them as the modes there are. */
export function emailMode(v: string): EmailMode {
  return v === "instant" || v === "daily" ? v : "off";
}

export function webhookMode(v: string): WebhookMode {
  return v === "on" ? "on" : "off";
}

/** An email's delivery state (`digest`: held for the next daily digest; `digested`: sent in one). */
export type EmailStatus = "queued" | "sent" | "failed" | "digest" | "digested";

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
    queryFn: () => data(api.GET("/api/v1/notification-preferences")),
  });
}

/** Stores the changed rows (all or none); answers every kind's choices. */
export function savePreferences(items: PreferenceChange[]): Promise<PreferencesView> {
  return data(api.PUT("/api/v1/notification-preferences", { body: { items } }));
}

/** The recent emails, asked again every few seconds while one is still on its way. */
export function useRecentEmails() {
  return useQuery({
    queryKey: notificationPrefsKeys.emails,
    queryFn: () => data(api.GET("/api/v1/emails", { params: { query: { limit: EMAIL_LIMIT } } })),
    refetchInterval: (q) => (q.state.data?.items.some((e) => e.status === "queued") ? POLL_MS : false),
  });
}

/**
 * Turns off the emails of the kind an unsubscribe link's token names. The route needs no
 * session (the link works signed out); a bad token throws an `ApiError` (404, or 400
 * without one).
 */
export function unsubscribe(token: string): Promise<UnsubscribeResult> {
  return data(api.POST("/api/v1/email/unsubscribe", { body: { token } }));
}
