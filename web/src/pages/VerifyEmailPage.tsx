// The page an email's "Confirm your email address" link opens (/verify-email?token=…), signed
// in or not. It confirms on load: confirming twice changes nothing and does nothing a reader
// would regret (unlike unsubscribing), so a mail scanner opening the link first does no harm.
// A link that no longer works offers a new one: the button when signed in, else log in first.
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { AccountFrame } from "../components/account/AccountFrame";
import { SendLinkAgain } from "../components/account/SendLinkAgain";
import { useAuth } from "../hooks/auth";
import { emailVerified, problem, useEmailVerified, verifyEmail, type EmailVerified } from "../hooks/account";

type State = { step: "checking" } | { step: "done"; result: EmailVerified } | { step: "failed"; error: unknown };

export default function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get("token")?.trim() ?? "";
  const { status, user, reloadUser } = useAuth();
  const [state, setState] = useState<State>({ step: "checking" });
  const verified = useEmailVerified();

  useEffect(() => {
    if (!token) return;
    let live = true;
    setState({ step: "checking" });
    verifyEmail(token).then(
      (result) => live && setState({ step: "done", result }),
      (error: unknown) => live && setState({ step: "failed", error }),
    );
    return () => {
      live = false;
    };
  }, [token]);

  // Signed in: read the account again so the app stops asking to confirm the address.
  const done = state.step === "done";
  const stale = status === "in" && user !== null && emailVerified(user) !== true;
  useEffect(() => {
    if (done && stale) reloadUser().catch(() => undefined);
  }, [done, stale, reloadUser]);

  if (!token)
    return (
      <AccountFrame title="Confirm your email address">
        <p className="error-box" role="alert">
          This link has no confirmation token: open the whole link from the email.
        </p>
        <NewLink signedIn={status === "in"} alreadyVerified={verified === true} />
      </AccountFrame>
    );

  return (
    <AccountFrame title="Confirm your email address">
      {state.step === "checking" && <p role="status">Confirming your email address…</p>}
      {state.step === "done" && (
        <>
          <p className="success-box" role="status">
            Your email address <strong className="account-email">{state.result.email}</strong> is verified.
          </p>
          <p>
            {status === "in" ? (
              <Link to="/" className="button primary">
                Go to Blockbuilders
              </Link>
            ) : (
              <Link to="/login" className="button primary">
                Log in
              </Link>
            )}
          </p>
        </>
      )}
      {state.step === "failed" && (
        <>
          <p className="error-box" role="alert">
            {state.error instanceof ApiError && (state.error.status === 404 || state.error.status === 422)
              ? "This link has expired or was already used, or it is incomplete."
              : problem(state.error)}
          </p>
          <NewLink signedIn={status === "in"} alreadyVerified={verified === true} />
        </>
      )}
    </AccountFrame>
  );
}

/** What to do about a link that does not work: already confirmed, send a new one, or log in. */
function NewLink({ signedIn, alreadyVerified }: { signedIn: boolean; alreadyVerified: boolean }) {
  if (alreadyVerified)
    return (
      <p>
        Your email address is already confirmed: there is nothing more to do. <Link to="/">Go to Blockbuilders</Link>
      </p>
    );
  if (signedIn)
    return (
      <>
        <p>We can send a new link to your email address.</p>
        <SendLinkAgain label="Send a new link" />
      </>
    );
  return (
    <p>
      <Link to={`/login?next=${encodeURIComponent("/plan")}`}>Log in</Link> to get a new link: your plan page has a
      button that sends one.
    </p>
  );
}
