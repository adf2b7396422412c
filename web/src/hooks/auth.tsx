// Who is signed in. The access token lives in the client (sessionStorage); on start the app
// asks `/me`, which refreshes once through the cookie if the token is missing or expired.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, data, getToken, mayHaveSession, onTokenChange, refresh, setToken } from "../api/client";
import type { Session, User } from "../api/types";
import { clearAccountDeleted } from "../lib/accountDeleted";

type Status = "loading" | "in" | "out";

/** What the password step gives: a session, or a two-factor challenge to answer. */
export type LoginResult = { user: User; challenge?: undefined } | { user?: undefined; challenge: string };

/** The answer to a two-factor challenge: a code from the app, or a recovery code. */
export type SecondFactor = { code: string } | { recovery_code: string };

interface AuthValue {
  user: User | null;
  status: Status;
  login(email: string, password: string): Promise<LoginResult>;
  verifyTwoFactor(challenge: string, answer: SecondFactor): Promise<User>;
  register(email: string, password: string, displayName?: string): Promise<LoginResult>;
  logout(): Promise<void>;
  /** Reads `/me` again (after a change to the account). */
  reloadUser(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [status, setStatus] = useState<Status>("loading");
  const queryClient = useQueryClient();

  useEffect(() => {
    let live = true;
    // Signed out in this browser: ask nothing (a refused `/me` is a console error on every
    // first visit). A new tab of a signed-in browser has no token yet: refresh first.
    if (!mayHaveSession()) {
      setStatus("out");
      return;
    }
    (getToken() ? Promise.resolve(true) : refresh())
      .then((ok) => {
        if (!ok) throw new Error("no session");
        return data(api.GET("/api/v1/me"));
      })
      .then((me) => {
        if (!live) return;
        setUser(me);
        setStatus("in");
      })
      .catch(() => {
        if (!live) return;
        // Drop the token and the session hint: the next first load asks nothing.
        setToken(null);
        setUser(null);
        setStatus("out");
      });
    return () => {
      live = false;
    };
  }, []);

  // A token cleared elsewhere (a failed refresh) signs the user out here too.
  useEffect(
    () =>
      onTokenChange(() => {
        if (!getToken()) {
          setUser(null);
          setStatus((s) => (s === "loading" ? s : "out"));
        }
      }),
    [],
  );

  const start = useCallback(
    (session: Session) => {
      queryClient.clear();
      clearAccountDeleted();
      setToken(session.access_token);
      setUser(session.user);
      setStatus("in");
      return session.user;
    },
    [queryClient],
  );

  const login = useCallback(
    async (email: string, password: string): Promise<LoginResult> => {
      const reply = await data(api.POST("/api/v1/auth/login", { body: { email, password } }));
      if ("two_factor_required" in reply) return { challenge: reply.challenge };
      return { user: start(reply) };
    },
    [start],
  );

  const verifyTwoFactor = useCallback(
    async (challenge: string, answer: SecondFactor) =>
      start(await data(api.POST("/api/v1/auth/2fa/verify", { body: { challenge, ...answer } }))),
    [start],
  );

  // Registering answers the same whether or not the email was new (it never tells who has an
  // account), so the app signs in next with the same email and password.
  const register = useCallback(
    async (email: string, password: string, displayName?: string) => {
      await api.POST("/api/v1/auth/register", {
        body: { email, password, ...(displayName ? { display_name: displayName } : {}) },
      });
      return login(email, password);
    },
    [login],
  );

  const reloadUser = useCallback(async () => {
    setUser(await data(api.GET("/api/v1/me")));
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.POST("/api/v1/auth/logout", { body: {} });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    setToken(null);
    setUser(null);
    setStatus("out");
    queryClient.clear();
  }, [queryClient]);

  const value = useMemo(
    () => ({ user, status, login, verifyTwoFactor, register, logout, reloadUser }),
    [user, status, login, verifyTwoFactor, register, logout, reloadUser],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error("useAuth outside AuthProvider");
  return v;
}

/** The signed-in user (inside the authenticated shell). */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error("no user");
  return user;
}
