// Signed in with an address not yet confirmed: a small notice asking to confirm it, with a
// button that sends the link again. Nothing otherwise.
import { useAuth } from "../../hooks/auth";
import { useEmailVerified } from "../../hooks/account";
import { SendLinkAgain } from "./SendLinkAgain";
import "./account.css";

export function VerifyEmailBanner() {
  const { user } = useAuth();
  const verified = useEmailVerified();
  if (verified !== false || !user) return null;
  return (
    <section className="notice-box verify-email-banner" aria-labelledby="verify-email-title">
      <h2 id="verify-email-title">Confirm your email address to get emails from us</h2>
      <p>
        We sent a link to <strong className="account-email">{user.email}</strong>. Open it to confirm the address. No email? Check
        your spam folder, or ask for a new link.
      </p>
      <SendLinkAgain />
    </section>
  );
}
