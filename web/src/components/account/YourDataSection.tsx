// "Your data" on the account page: download everything the account holds as one ZIP archive
// (`GET /api/v1/me/export`, saved under the server's file name; at most one a minute), and
// delete the account for good (`DELETE /api/v1/me`) through a dialog that says what goes and
// what stays, asks for the password (and the two-factor code when it is on) and for DELETE
// typed out. After the deletion the session is cleared and the login page says so.
import { useId, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { api, ApiError } from "../../api/client";
import { useAuth, useUser } from "../../hooks/auth";
import { DELETED_STATE, markAccountDeleted } from "../../lib/accountDeleted";
import { saveFile } from "../../lib/download";
import { Field } from "../Field";
import { Modal } from "../Modal";
import "./your-data.css";


const today = () => new Date().toISOString().slice(0, 10);

/** The file name of `Content-Disposition: attachment; filename="…"`, or null. */
export function attachmentName(header: string | null): string | null {
  if (!header) return null;
  const star = header.match(/filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ""));
    } catch {
      // fall through to the plain name
    }
  }
  const plain = header.match(/filename\s*=\s*("([^"]*)"|[^;]+)/i);
  const name = plain ? (plain[2] ?? plain[1]).trim() : "";
  // Only a plain file name, never a path.
  return name && !/[/\\]/.test(name) ? name : null;
}

/** The wait a refused export names: `Retry-After`, else the seconds in its message. */
function waitSeconds(e: ApiError): number | null {
  if (e.retryAfter != null) return e.retryAfter;
  const m = e.message.match(/(\d+)\s*s\b/);
  return m ? Number(m[1]) : null;
}

function failure(err: unknown): string {
  return err instanceof ApiError ? err.message : "Could not reach the server. Check your connection and try again.";
}

export function YourDataSection() {
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  const download = async () => {
    setBusy(true);
    setSaved("");
    setError(null);
    try {
      const { data: blob, response } = await api.GET("/api/v1/me/export", { parseAs: "blob" });
      if (!blob) throw new ApiError(response.status, "internal", "The server's answer had no archive.", null);
      const name = attachmentName(response.headers.get("Content-Disposition")) ?? `blockbuilders-export-${today()}.zip`;
      saveFile(blob, name);
      setSaved(`Saved ${name}.`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        const n = waitSeconds(e);
        setError(`You can download your data once a minute; try again in ${n ?? 60} s.`);
      } else setError(failure(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="section card your-data" aria-labelledby="your-data-title">
      <h2 id="your-data-title">Your data</h2>
      <p>
        Download everything your account holds as one ZIP archive of JSON files: your profile and preferences, your
        strategies with every version (each file can be imported again through{" "}
        <strong>Strategies → Import a strategy</strong>), your backtests, sweeps and robustness runs with their reports
        and trades, your paper runs with their trades, your notifications, webhooks (without their secrets), screener
        screens, cohorts and templates, your plan and usage, and the audit entries about you. A README in the archive
        explains each file.
      </p>
      <div className="actions">
        <button type="button" className="button primary" disabled={busy} onClick={download} aria-describedby="your-data-progress">
          {busy ? "Preparing your archive…" : "Download my data"}
        </button>
        <span id="your-data-progress" role="status" className="meta">
          {busy ? "Collecting your data; a large account takes a moment." : saved}
        </span>
      </div>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      <h3>Delete your account</h3>
      <p>
        Deleting your account removes it and everything in it for good; it cannot be undone. Download your data first
        if you want to keep a copy.
      </p>
      <button type="button" className="button danger" onClick={() => setDeleting(true)}>
        Delete my account
      </button>
      <DeleteAccountDialog open={deleting} onClose={() => setDeleting(false)} />
    </section>
  );
}

type FieldName = "password" | "code" | "confirm";

function DeleteAccountDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const user = useUser();
  const { logout } = useAuth();
  const navigate = useNavigate();
  const textId = useId();
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<{ field: FieldName; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const twoFactor = user.two_factor_enabled;
  const confirmed = typed.trim() === "DELETE";

  const close = () => {
    if (busy) return;
    setPassword("");
    setCode("");
    setTyped("");
    setFieldError(null);
    setError(null);
    onClose();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFieldError(null);
    setError(null);
    if (!password) {
      setFieldError({ field: "password", message: "Enter your password." });
      return;
    }
    if (twoFactor && !code.trim()) {
      setFieldError({ field: "code", message: "Enter the 6-digit code from your authenticator app (or a recovery code)." });
      return;
    }
    if (!confirmed) {
      setFieldError({ field: "confirm", message: "Type DELETE to confirm." });
      return;
    }
    setBusy(true);
    try {
      await api.DELETE("/api/v1/me", { body: { password, ...(twoFactor ? { code: code.trim() } : {}) } });
    } catch (err) {
      setBusy(false);
      const field = err instanceof ApiError ? err.details?.field : undefined;
      if (field === "password" || field === "code") setFieldError({ field, message: (err as ApiError).message });
      else if (err instanceof ApiError && err.status === 409)
        setError(`${err.message} Cancel your subscription on this page first; it then ends at the end of the period.`);
      else setError(failure(err));
      return;
    }
    // The account is gone: clear the session here (the server already ended it) and say so.
    markAccountDeleted();
    await logout().catch(() => undefined);
    navigate("/login", { replace: true, state: DELETED_STATE });
  };

  const errorOn = (field: FieldName) => (fieldError?.field === field ? fieldError.message : null);

  return (
    <Modal open={open} title="Delete your account" onClose={close} role="alertdialog" describedBy={textId} wide>
      <form onSubmit={submit} noValidate className="delete-account">
        <div id={textId}>
          <p>
            <strong>This deletes {user.email} and everything in it, for good.</strong> It cannot be undone, and every
            session of the account ends at once.
          </p>
        </div>
        <h3>What is deleted</h3>
        <ul>
          <li>Your profile, preferences, sign-in devices, two-factor and recovery codes.</li>
          <li>Your strategies with every version, and your backtests, sweeps and robustness runs with their reports.</li>
          <li>Your paper runs and their trades, the datasets you imported, your screener screens, alerts and watched trades.</li>
          <li>Your notifications, emails, webhooks, plan usage and billing records (cancel a live subscription first).</li>
          <li>
            Templates you published are unpublished and removed; cohorts you own are dissolved. Copies other people made
            of your templates stay theirs, and their notes name “a deleted user” instead of you. Other people’s runs of
            your public strategies go with those strategies.
          </li>
        </ul>
        <h3>What is kept</h3>
        <ul>
          <li>
            The audit log is never edited: its entries about you stay, naming you only by a random pseudonym that
            nothing links to you any more once your account is gone.
          </li>
          <li>Review decisions you took about other people stay, without your name.</li>
          <li>Invoices stay with our payment provider, Stripe, as the legal record; none are stored here.</li>
        </ul>
        {error && (
          <p className="error-box" role="alert">
            {error}
          </p>
        )}
        <Field label="Password" error={errorOn("password")}>
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        {twoFactor && (
          <Field label="Authentication code" help="The 6-digit code your authenticator app shows, or a recovery code." error={errorOn("code")}>
            <input
              type="text"
              autoComplete="one-time-code"
              spellCheck={false}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </Field>
        )}
        <Field label="Type DELETE to confirm" error={errorOn("confirm")}>
          <input type="text" autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
        </Field>
        <div className="actions">
          <button type="button" className="button" onClick={close} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button danger" disabled={busy || !confirmed}>
            {busy ? "Deleting…" : "Delete my account for good"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
