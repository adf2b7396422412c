// Two-factor authentication (TOTP) on the account page: turn it on with an authenticator app
// (QR code or secret, then a code to confirm), see the recovery codes once, turn it off.
import { useState, type FormEvent } from "react";
import { api, ApiError, data, type Schemas } from "../api/client";
import { Field } from "../components/Field";
import { useAuth } from "../hooks/auth";

type Setup = Schemas["TwoFactorSetup"];

function message(err: unknown): string {
  return err instanceof ApiError ? err.message : "Could not reach the server. Check your connection and try again.";
}

export function TwoFactorSection() {
  const { user, reloadUser } = useAuth();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const enabled = user?.two_factor_enabled ?? false;

  const start = async () => {
    setError(null);
    setBusy(true);
    try {
      setSetup(await data(api.POST("/api/v1/auth/2fa/setup")));
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!/^\d{6}$/.test(code.replace(/\s/g, ""))) {
      setError("Enter the 6-digit code your authenticator app shows.");
      return;
    }
    setBusy(true);
    try {
      const reply = await data(api.POST("/api/v1/auth/2fa/enable", { body: { code: code.trim() } }));
      setCodes(reply.recovery_codes);
      setSetup(null);
      setCode("");
      await reloadUser();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  const turnOff = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!password) {
      setError("Enter your password to turn two-factor authentication off.");
      return;
    }
    setBusy(true);
    try {
      await api.POST("/api/v1/auth/2fa/disable", { body: { password } });
      setPassword("");
      setCodes(null);
      await reloadUser();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="section card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      {codes && (
        <div role="status">
          <p>
            <strong>Two-factor authentication is on.</strong> Save these recovery codes somewhere safe: each one signs
            you in once if you lose your phone. They are shown only now.
          </p>
          <ul className="recovery-codes" aria-label="Recovery codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {enabled && !codes && <p>Two-factor authentication is on: logging in asks for a code from your authenticator app.</p>}
      {enabled && (
        <form onSubmit={turnOff} noValidate className="auth-form">
          <Field label="Password to turn it off">
            <input
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          <button type="submit" className="button" disabled={busy}>
            Turn off two-factor authentication
          </button>
        </form>
      )}
      {!enabled && !setup && (
        <>
          <p>
            Protect your account with a second step when you log in: a 6-digit code from an authenticator app on your
            phone. Administrators need it.
          </p>
          <button type="button" className="button primary" onClick={start} disabled={busy}>
            Set up two-factor authentication
          </button>
        </>
      )}
      {!enabled && setup && (
        <form onSubmit={confirm} noValidate className="auth-form">
          <p>1. Scan this QR code with your authenticator app.</p>
          <img
            className="qr"
            width={200}
            height={200}
            alt="QR code for your authenticator app"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qr_svg)}`}
          />
          <p>
            Or type this key into the app: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <Field label="2. Enter the 6-digit code the app shows">
            <input
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={7}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </Field>
          <button type="submit" className="button primary" disabled={busy}>
            Turn on two-factor authentication
          </button>
        </form>
      )}
    </section>
  );
}
