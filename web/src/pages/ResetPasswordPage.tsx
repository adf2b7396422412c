// Forgotten password, signed in or not. Without a token (/reset-password) it asks for the
// account's email and has the server send a reset link; the answer never says whether the
// address has an account. With the link's token (/reset-password?token=…) it asks for the new
// password twice and sets it; every session of the account ends, so it sends the reader to
// log in with the new one.
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { AccountFrame } from "../components/account/AccountFrame";
import { Field } from "../components/Field";
import { useAuth } from "../hooks/auth";
import { confirmPasswordReset, problem, requestPasswordReset } from "../hooks/account";

export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token")?.trim() ?? "";
  return token ? <ChooseNewPassword token={token} /> : <RequestLink />;
}

/** Moves focus to the first field the server or the form refused, or to the form's error. */
function useFocusFirstError(errors: object) {
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], .error-box')?.focus();
  }, [errors]);
  return formRef;
}

function RequestLink() {
  const [email, setEmail] = useState("");
  const [errors, setErrors] = useState<{ email?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const formRef = useFocusFirstError(errors);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) {
      setErrors({ email: "Enter an email address like ada@example.com." });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      setSent((await requestPasswordReset(email.trim())).message);
    } catch (err) {
      if (err instanceof ApiError && err.details?.field === "email") setErrors({ email: err.message });
      else setErrors({ form: problem(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <AccountFrame title="Reset your password">
      {sent ? (
        <>
          <p className="success-box" role="status">
            {sent}
          </p>
          <p>
            The link works for a limited time and only once. No email? Check your spam folder, or{" "}
            <button type="button" className="link-button" onClick={() => setSent(null)}>
              ask for another link
            </button>
            .
          </p>
          <p>
            <Link to="/login">Back to log in</Link>
          </p>
        </>
      ) : (
        <>
          <p>Enter the email address of your account. We will send you a link to choose a new password.</p>
          <form ref={formRef} onSubmit={submit} noValidate className="auth-form">
            {errors.form && (
              <p className="error-box" role="alert" tabIndex={-1}>
                {errors.form}
              </p>
            )}
            <Field label="Email" error={errors.email}>
              <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
            </Field>
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Sending…" : "Send the link"}
            </button>
          </form>
          <p>
            Remember it after all? <Link to="/login">Log in</Link>
          </p>
        </>
      )}
    </AccountFrame>
  );
}

function ChooseNewPassword({ token }: { token: string }) {
  const { status, logout } = useAuth();
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [show, setShow] = useState(false);
  const [errors, setErrors] = useState<{ password?: string; again?: string; form?: string }>({});
  const [expired, setExpired] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const formRef = useFocusFirstError(errors);
  const showId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: typeof errors = {};
    if (password.length < 12) errs.password = "Use at least 12 characters.";
    else if (again !== password) errs.again = "The two passwords are not the same. Type the new password again.";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      await confirmPasswordReset(token, password);
      // The server ended every session of the account, this one too if it was signed in.
      if (status === "in") await logout().catch(() => undefined);
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setExpired(true);
      else if (err instanceof ApiError && err.details?.field === "password") setErrors({ password: err.message });
      else setErrors({ form: problem(err) });
    } finally {
      setBusy(false);
    }
  };

  if (done)
    return (
      <AccountFrame title="Password changed">
        <p className="success-box" role="status">
          Your password is changed. Sign in with it.
        </p>
        <p>For your safety we signed you out everywhere, on every device.</p>
        <p>
          <Link to="/login" className="button primary">
            Log in
          </Link>
        </p>
      </AccountFrame>
    );

  if (expired)
    return (
      <AccountFrame title="Choose a new password">
        <p className="error-box" role="alert">
          This link has expired or was already used. Reset links work for a limited time and only once.
        </p>
        <p>
          <Link to="/reset-password" className="button primary">
            Send me a new link
          </Link>
        </p>
        <p>
          <Link to="/login">Back to log in</Link>
        </p>
      </AccountFrame>
    );

  return (
    <AccountFrame title="Choose a new password">
      <form ref={formRef} onSubmit={submit} noValidate className="auth-form">
        {errors.form && (
          <p className="error-box" role="alert" tabIndex={-1}>
            {errors.form}
          </p>
        )}
        <Field
          label="New password"
          error={errors.password}
          help="At least 12 characters, not a common password and not your email. A few unrelated words are easy to remember."
        >
          <input
            type={show ? "text" : "password"}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={12}
          />
        </Field>
        <Field label="New password again" error={errors.again}>
          <input
            type={show ? "text" : "password"}
            autoComplete="new-password"
            value={again}
            onChange={(e) => setAgain(e.target.value)}
            required
          />
        </Field>
        <div className="checkbox">
          <input type="checkbox" id={showId} checked={show} onChange={(e) => setShow(e.target.checked)} />
          <label htmlFor={showId}>Show the passwords</label>
        </div>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Saving…" : "Change the password"}
        </button>
      </form>
      <p>
        <Link to="/login">Back to log in</Link>
      </p>
    </AccountFrame>
  );
}
