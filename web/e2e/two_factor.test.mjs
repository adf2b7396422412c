// Two-factor sign-in in the browser: turn it on from the plan & account page (QR code, secret,
// a code to confirm, recovery codes shown once), then log in with the password and a code from
// the "authenticator app" (computed here from the secret: RFC 6238, HMAC-SHA1, 6 digits, 30 s),
// and once more with a recovery code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startServer, launchBrowser, screenshot, axe } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const WAIT = { timeout: 15_000 };

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The TOTP code for now plus `steps` × 30 s. */
function totp(secret, steps = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + steps;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", base32(secret)).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, "0");
}

test("the RFC 6238 test vector", () => {
  // Secret "12345678901234567890", T = 59 s → 94287082 (8 digits), so 287082 with 6.
  const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  const realNow = Date.now;
  Date.now = () => 59_000;
  try {
    assert.equal(totp(secret), "287082");
  } finally {
    Date.now = realNow;
  }
});

test("two-factor sign-in: enrol on the account page, then log in with a code and with a recovery code", async () => {
  const email = `totp-${Date.now()}@example.com`;
  const password = "violet harbour stamps quickly";
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  try {
    // Sign up (the app signs in right after registering).
    await page.goto(`${server.url}/signup`);
    await page.getByLabel("Your name (optional)").fill("Tove");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("heading", { level: 1, name: "Welcome, Tove" }).waitFor(WAIT);

    // Turn on two-factor authentication on the plan & account page.
    await page.goto(`${server.url}/plan`);
    const section = page.getByRole("region", { name: "Two-factor authentication" });
    await section.getByRole("button", { name: "Set up two-factor authentication" }).click(WAIT);
    await section.getByRole("img", { name: "QR code for your authenticator app" }).waitFor(WAIT);
    const secret = (await section.getByTestId("totp-secret").textContent()).trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await screenshot(page, "two-factor-setup");
    await section.getByLabel("2. Enter the 6-digit code the app shows").fill(totp(secret));
    await section.getByRole("button", { name: "Turn on two-factor authentication" }).click();
    const codes = section.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
    await codes.first().waitFor(WAIT);
    assert.equal(await codes.count(), 10);
    const recovery = (await codes.first().textContent()).trim();
    assert.match(recovery, /^[a-z0-9]{5}-[a-z0-9]{5}$/);
    await section.getByLabel("Password to turn it off").waitFor();
    await screenshot(page, "two-factor-recovery-codes");

    // Log out, and in again: the password alone is not enough.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor(WAIT);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { level: 1, name: "Two-factor authentication" }).waitFor(WAIT);
    const violations = await axe(page);
    assert.deepEqual(violations.map((v) => v.id), [], "the code step is accessible");
    await screenshot(page, "two-factor-code-step");

    // A wrong code is refused with a reason; the app's next code signs in (the code that
    // turned it on was already used, and codes work once).
    await page.getByLabel("Authentication code").fill(totp(secret, 0) === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("alert").filter({ hasText: "wrong or was already used" }).waitFor(WAIT);
    await page.getByLabel("Authentication code").fill(totp(secret, 1));
    await page.getByRole("button", { name: "Verify" }).click();
    // Signed in, back on the page the user left (the plan page).
    await page.getByRole("heading", { level: 1, name: "Your plan" }).waitFor(WAIT);
    await page.getByRole("button", { name: "Sign out" }).waitFor(WAIT);

    // Once more with a recovery code.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor(WAIT);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("button", { name: "Use a recovery code instead" }).click(WAIT);
    await page.getByLabel("Recovery code").fill(recovery.toUpperCase());
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { level: 1, name: "Your plan" }).waitFor(WAIT);
    const section2 = page.getByRole("region", { name: "Two-factor authentication" });
    await section2.getByText("Two-factor authentication is on").waitFor(WAIT);
  } finally {
    await screenshot(page, "two-factor-last");
    await context.close();
  }
});
