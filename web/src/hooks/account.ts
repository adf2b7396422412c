// The account's email address and password, by email: ask for a password reset link, choose a
// new password with one, confirm the address with the link the server sent, and ask for that
// link again. The reset and confirm calls work signed out; asking for the link again needs a
// session.
import { useEffect } from "react";
import { api, ApiError, data, refresh, type Schemas } from "../api/client";
import type { User } from "../api/types";
import { useAuth } from "./auth";

export type Message = Schemas["Done"];
/** The address confirmed (`email`) and the server's words. */
export type EmailVerified = Schemas["Verified"];

/** Asks for a password reset link. The answer is the same whether or not the address has an
 * account (it never tells who has one). */
export function requestPasswordReset(email: string): Promise<Message> {
  return data(api.POST("/api/v1/auth/password-reset", { body: { email } }));
}

/** Sets a new password with a reset link's token; every session of the account ends. */
export function confirmPasswordReset(token: string, password: string): Promise<Message> {
  return data(api.POST("/api/v1/auth/password-reset/confirm", { body: { token, password } }));
}

// One request per token: the page may ask twice for the same link (React's double effects in
// development, a remount), and a link used once may be refused the second time.
const verifying = new Map<string, Promise<EmailVerified>>();

/** Confirms the address with a verification link's token (the same answer if asked twice in
 * this page). */
export function verifyEmail(token: string): Promise<EmailVerified> {
  let pending = verifying.get(token);
  if (!pending) {
    pending = data(api.POST("/api/v1/auth/verify-email", { body: { token } }));
    verifying.set(token, pending);
    // A failure (the network, say) may be tried again later.
    pending.catch(() => verifying.delete(token));
  }
  return pending;
}

/** Sends the verification link again to the signed-in account's address. A path under
 * `/auth/` is not refreshed by the client on a 401, so this refreshes once itself. */
export async function sendVerificationEmail(): Promise<Message> {
  const send = () => data(api.POST("/api/v1/auth/verify-email/send"));
  try {
    return await send();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && (await refresh())) return send();
    throw e;
  }
}

/** `/me`'s `email_verified`: whether the account's address is confirmed; undefined when the
 * user came from elsewhere (a sign-in's session gives the account without it). */
export function emailVerified(user: User | null): boolean | undefined {
  const v = user?.email_verified;
  return typeof v === "boolean" ? v : undefined;
}

// The accounts whose `/me` was asked for `email_verified` in this page (once each: a server
// that does not say is not asked again and again).
const asked = new Set<string>();

/**
 * Whether the signed-in account's address is confirmed: true, false, or null while unknown
 * (signed out, or `/me` not read yet). A session from signing in lacks the field, so this
 * reads `/me` once to learn it.
 */
export function useEmailVerified(): boolean | null {
  const { status, user, reloadUser } = useAuth();
  const known = emailVerified(user);
  useEffect(() => {
    if (status !== "in" || !user || known !== undefined || asked.has(user.id)) return;
    asked.add(user.id);
    reloadUser().catch(() => undefined);
  }, [status, user, known, reloadUser]);
  return status === "in" && known !== undefined ? known : null;
}

/** A refusal's words for the reader: the server's message, or the connection's trouble. */
export function problem(err: unknown): string {
  if (err instanceof ApiError && err.status === 429) {
    const seconds = retryAfter(err);
    return seconds
      ? `Too many requests in a short time. Try again in ${seconds} ${seconds === 1 ? "second" : "seconds"}.`
      : "Too many requests in a short time. Wait a minute and try again.";
  }
  if (err instanceof ApiError) return err.message;
  return "Could not reach the server. Check your connection and try again.";
}

/** The seconds a 429's message says to wait ("… retry in 60 s"); null when it does not say. */
export function retryAfter(err: ApiError): number | null {
  const seconds = Number(err.message.match(/(\d+)\s*s\b/)?.[1]);
  return seconds > 0 ? seconds : null;
}
