// Sign up and log in.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { Field } from "../components/Field";
import { useAuth } from "../hooks/auth";
import { useTitle } from "../hooks/useTitle";
import { isAccountDeleted } from "../lib/accountDeleted";

function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  useTitle(title);
  return (
    <div className="auth">
      <a href="#main" className="skip-link">
        Skip to the main content
      </a>
      <header className="auth-header">
        <span className="brand">
          <span aria-hidden="true" className="brand-mark">
            ▦
          </span>{" "}
          Blockbuilders
        </span>
        <p className="tagline">Build trading strategies from blocks and test them honestly. No code needed.</p>
      </header>
      <main id="main" className="auth-main">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}

export function LoginPage() {
  const { login } = useAuth();
  const navigate = useNavigate();
  const next = useNext();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<string | null>(null);
  const deleted = isAccountDeleted(location.state);
  const errorRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!email || !password) {
      setError("Enter your email and password.");
      return;
    }
    setBusy(true);
    try {
      const result = await login(email.trim(), password);
      if (result.challenge) {
        setPassword("");
        setChallenge(result.challenge);
      } else navigate(next, { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err.status === 401
            ? err.message.includes("disabled")
              ? err.message
              : "That email and password do not match an account. Check them and try again."
            : err.message
          : "Could not reach the server. Check your connection and try again.",
      );
    } finally {
      setBusy(false);
    }
  };

  if (challenge)
    return (
      <TwoFactorStep
        challenge={challenge}
        onDone={() => navigate(next, { replace: true })}
        onRestart={() => setChallenge(null)}
      />
    );

  return (
    <AuthFrame title="Log in">
      {deleted && (
        <div className="success-box account-deleted" role="status">
          <p>
            <strong>Your account was deleted.</strong> Everything in it was removed for good and you were signed out.
          </p>
        </div>
      )}
      <form onSubmit={submit} noValidate className="auth-form">
        {error && (
          <p className="error-box" role="alert" tabIndex={-1} ref={errorRef}>
            {error}
          </p>
        )}
        <Field label="Email">
          <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field label="Password">
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </Field>
        <p>
          <Link to="/reset-password">Forgot your password?</Link>
        </p>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p>
        New here? <Link to={`/signup${location.search}`}>Create a free account</Link>
      </p>
    </AuthFrame>
  );
}

/** The second step of logging in with two-factor authentication on. */
function TwoFactorStep({
  challenge,
  onDone,
  onRestart,
}: {
  challenge: string;
  onDone: () => void;
  onRestart: () => void;
}) {
  const { verifyTwoFactor } = useAuth();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    inputRef.current?.focus();
  }, [useRecovery]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const value = code.trim();
    if (!value) {
      setError(useRecovery ? "Enter one of your recovery codes." : "Enter the 6-digit code from your authenticator app.");
      return;
    }
    setBusy(true);
    try {
      await verifyTwoFactor(challenge, useRecovery ? { recovery_code: value } : { code: value });
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Could not reach the server. Check your connection and try again.");
      setCode("");
      inputRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Two-factor authentication">
      <form onSubmit={submit} noValidate className="auth-form">
        <p>
          {useRecovery
            ? "Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."
            : "Open your authenticator app and enter the 6-digit code it shows for Blockbuilders."}
        </p>
        {error && (
          <p className="error-box" role="alert">
            {error}
          </p>
        )}
        {useRecovery ? (
          <Field label="Recovery code">
            <input
              ref={inputRef}
              type="text"
              autoComplete="off"
              spellCheck={false}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              required
            />
          </Field>
        ) : (
          <Field label="Authentication code">
            <input
              ref={inputRef}
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]*"
              maxLength={7}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              required
            />
          </Field>
        )}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Checking…" : "Verify"}
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            setUseRecovery(!useRecovery);
            setCode("");
            setError(null);
          }}
        >
          {useRecovery ? "Use a code from the app instead" : "Use a recovery code instead"}
        </button>
      </form>
      <p>
        <button type="button" className="link-button" onClick={onRestart}>
          Start again with your password
        </button>
      </p>
    </AuthFrame>
  );
}

export function SignupPage() {
  const { register } = useAuth();
  const navigate = useNavigate();
  const next = useNext();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<{ email?: string; password?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .error-box')?.focus();
  }, [errors]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: typeof errors = {};
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) errs.email = "Enter an email address like ada@example.com.";
    if (password.length < 12) errs.password = "Use at least 12 characters.";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const result = await register(email.trim(), password, name.trim() || undefined);
      // With two-factor authentication on (an existing account), the login page asks for the code.
      navigate(result.user ? next : `/login${location.search}`, { replace: true });
    } catch (err) {
      // Signing in right after registering fails only when the email already had an account
      // with another password (the server does not say which, on purpose).
      if (err instanceof ApiError && err.status === 401)
        setErrors({
          form: "We could not sign you in with this email and password. If you already have an account, log in instead.",
        });
      else if (err instanceof ApiError && err.details?.field === "password") setErrors({ password: err.message });
      else if (err instanceof ApiError && err.details?.field === "email") setErrors({ email: err.message });
      else
        setErrors({
          form: err instanceof ApiError ? err.message : "Could not reach the server. Check your connection and try again.",
        });
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Create your account">
      <form ref={formRef} onSubmit={submit} noValidate className="auth-form">
        {errors.form && (
          <p className="error-box" role="alert" tabIndex={-1}>
            {errors.form}
          </p>
        )}
        <Field label="Your name (optional)" help="Shown to others when you share a strategy.">
          <input type="text" autoComplete="nickname" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Email" error={errors.email}>
          <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field label="Password" error={errors.password} help="At least 12 characters, not a common password and not your email. A few unrelated words are easy to remember.">
          <input
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={12}
          />
        </Field>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Creating your account…" : "Sign up"}
        </button>
      </form>
      <p>
        Already have an account? <Link to={`/login${location.search}`}>Log in</Link>
      </p>
    </AuthFrame>
  );
}
