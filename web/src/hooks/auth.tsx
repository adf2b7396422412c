// Who is signed in. The access token lives in the client (sessionStorage); on start the app
// asks `/me`, which refreshes once through the cookie if the token is missing or expired.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, getToken, onTokenChange, setToken } from "../api/client";
import type { Session, User } from "../api/types";

type Status = "loading" | "in" | "out";

interface AuthValue {
  user: User | null;
  status: Status;
  login(email: string, password: string): Promise<User>;
  register(email: string, password: string, displayName?: string): Promise<User>;
  logout(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [status, setStatus] = useState<Status>("loading");
  const queryClient = useQueryClient();

  useEffect(() => {
    let live = true;
    api
      .get<User>("/api/v1/me")
      .then((me) => {
        if (!live) return;
        setUser(me);
        setStatus("in");
      })
      .catch(() => {
        if (!live) return;
        // Only drop a token this page holds (the client clears an expired one itself).
        if (getToken()) setToken(null);
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
      setToken(session.access_token);
      setUser(session.user);
      setStatus("in");
      return session.user;
    },
    [queryClient],
  );

  const login = useCallback(
    async (email: string, password: string) => start(await api.post<Session>("/api/v1/auth/login", { email, password })),
    [start],
  );

  const register = useCallback(
    async (email: string, password: string, displayName?: string) =>
      start(
        await api.post<Session>("/api/v1/auth/register", {
          email,
          password,
          ...(displayName ? { display_name: displayName } : {}),
        }),
      ),
    [start],
  );

  const logout = useCallback(async () => {
    try {
      await api.post("/api/v1/auth/logout", {});
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    setToken(null);
    setUser(null);
    setStatus("out");
    queryClient.clear();
  }, [queryClient]);

  const value = useMemo(() => ({ user, status, login, register, logout }), [user, status, login, register, logout]);
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
