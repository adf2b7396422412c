// Webhooks, end to end: the server allows private addresses (BB_WEBHOOK_ALLOW_PRIVATE=true) and a
// local receiver (node:http on 127.0.0.1) checks every message's Standard Webhooks signature
// (HMAC-SHA256 of `id.timestamp.body` under the base64 key after `whsec_`). A new account opens
// Settings › Webhooks, is refused `ftp://x` beside the URL field, adds the receiver with one
// kind ticked, reads the secret (Show), sends a test and waits for the log to show it delivered
// with HTTP 200; the receiver got exactly that webhook-id, validly signed. The row's details
// show the attempt and the payload; "Replay" sends the same webhook-id again. "Rotate secret"
// (after its warning about 24 hours) signs the next test with both secrets. Axe at 1440 and
// 390 px, and nothing wider than a 390 px phone. "Edit" refuses `ftp://x` beside its URL field
// ("Cancel" puts the card back), then saves a new description and one more kind onto the card.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { startServer, launchBrowser, screenshot, axe, signIn, sticksOut } from "./harness.mjs";

const WAIT = { timeout: 60_000 };
const stamp = Date.now();
const USER = { email: `hooks-${stamp}@example.com`, password: "violet harbour stamps quickly", display_name: "Hook Holder" };

let server;
let browser;
let receiver;
/** What the receiver got: `{ id, timestamp, signatures, body }` for each POST. */
const received = [];

/** The `v1,` signatures of a `webhook-signature` header that `secret` (whsec_…) made. */
function matching(secret, { id, timestamp, signatures, body }) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.filter((s) => {
    const [version, b64] = s.split(",", 2);
    if (version !== "v1" || !b64) return false;
    const got = Buffer.from(b64, "base64");
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

before(async () => {
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method,
        id: req.headers["webhook-id"],
        timestamp: req.headers["webhook-timestamp"],
        signatures: String(req.headers["webhook-signature"] ?? "").split(" ").filter(Boolean),
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("thanks");
    });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
  server = await startServer({ env: { BB_WEBHOOK_ALLOW_PRIVATE: "true" } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => (receiver ? receiver.close(ok) : ok()));
});

function axeFindings(violations) {
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** What is wider than the screen: the page, and any element sticking out of it (outside a
 * box that scrolls sideways itself). */
// a webhook's payload scrolls sideways on purpose, as tables do
const overflows = (page) => sticksOut(page, { skip: ".table-wrap, .webhook-payload, .main-nav" });

/** Waits (at most a minute) until the receiver has `n` messages. */
async function receivedCount(n) {
  const deadline = Date.now() + 60_000;
  while (received.length < n) {
    assert.ok(Date.now() < deadline, `the receiver got ${received.length} messages, not ${n}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

test("add an endpoint, send a signed test, see it delivered, replay, rotate", async () => {
  const r = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(USER),
  });
  assert.equal(r.status, 202, `registers: ${await r.text()}`);

  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, server.url, { email: USER.email, password: USER.password });

  // From the account page to Settings › Webhooks.
  await page.goto(`${server.url}/plan`);
  await page.getByRole("link", { name: "Manage webhooks" }).click();
  await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor(WAIT);
  assert.equal(new URL(page.url()).pathname, "/settings/webhooks");
  await page.getByText("Standard Webhooks").waitFor();
  await page.getByText("No endpoints yet.", { exact: false }).waitFor(WAIT);

  // A refused URL: the server's message beside the field.
  const form = page.getByRole("region", { name: "Add an endpoint" });
  const urlField = form.getByLabel("URL");
  await urlField.fill("ftp://x");
  await form.getByRole("button", { name: "Add endpoint" }).click();
  const urlError = form.locator(".field-invalid .field-error");
  await urlError.waitFor(WAIT);
  assert.equal(await urlField.getAttribute("aria-invalid"), "true");
  const described = await urlField.getAttribute("aria-describedby");
  assert.ok(described && (await urlError.getAttribute("id")) && described.includes(await urlError.getAttribute("id")), "the error describes the field");
  assert.ok((await urlError.textContent()).trim().length > 0, "the error says why");
  assert.deepEqual(axeFindings(await axe(page)), [], "axe on the form with an error");

  // The receiver, with one kind ticked.
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/hooks/blockbuilders`;
  await urlField.fill(hookUrl);
  assert.equal(await urlField.getAttribute("aria-invalid"), null, "typing clears the error");
  await form.getByLabel("Description").fill("Test receiver");
  await form.getByRole("checkbox", { name: /A backtest finished/ }).check();
  await form.getByRole("button", { name: "Add endpoint" }).click();
  const card = page.getByRole("article", { name: hookUrl });
  await card.waitFor(WAIT);
  await card.getByText("Enabled", { exact: true }).waitFor();
  await card.getByText("A backtest finished (its headline numbers)").waitFor();
  await card.getByText("Test receiver").waitFor();

  // The secret is hidden until "Show".
  const secretBox = card.getByTestId("webhook-secret");
  assert.ok(!(await secretBox.textContent()).match(/^whsec_[A-Za-z0-9+/=]{20,}$/), "the secret is hidden at first");
  await card.getByRole("button", { name: "Show", exact: true }).click();
  await card.getByRole("button", { name: "Hide", exact: true }).waitFor();
  const secret = (await secretBox.textContent()).trim();
  assert.match(secret, /^whsec_[A-Za-z0-9+/=]+$/);

  // Send test: the log turns it delivered with HTTP 200, without a reload.
  await card.getByRole("button", { name: "Send test" }).click();
  const log = card.getByRole("region", { name: "Deliveries to Test receiver" });
  const delivered = log.locator('tbody tr[data-status="delivered"]');
  await delivered.first().waitFor(WAIT);
  assert.equal(await delivered.count(), 1);
  const row = delivered.first();
  assert.equal((await row.getByTestId("last-status").textContent()).trim(), "200");
  await row.getByText("Delivered", { exact: true }).waitFor();
  await row.getByText("webhook.test").waitFor();

  // Its details: the webhook-id, the attempt and the payload.
  await row.getByRole("button", { name: /^Details of webhook\.test/ }).click();
  const detail = card.getByRole("region", { name: "Attempts" });
  await detail.locator("tbody tr").first().waitFor(WAIT);
  assert.match(await detail.locator("tbody tr").first().textContent(), /200/);
  const webhookId = (await card.getByTestId("webhook-id").textContent()).trim();
  const payload = JSON.parse(await card.getByRole("region", { name: "Payload JSON" }).textContent());
  assert.ok(payload && typeof payload === "object", "the payload is JSON");

  // The receiver got exactly that message, validly signed.
  assert.equal(received.length, 1, `one message: ${JSON.stringify(received)}`);
  const first = received[0];
  assert.equal(first.method, "POST");
  assert.equal(first.id, webhookId, "the webhook-id the log shows");
  assert.match(first.timestamp, /^\d+$/);
  assert.ok(Math.abs(Number(first.timestamp) - Date.now() / 1000) < 300, "a current timestamp");
  assert.equal(matching(secret, first).length, 1, `a valid signature in ${first.signatures.join(" ")}`);
  assert.equal(matching(`whsec_${randomBytes(24).toString("base64")}`, first).length, 0, "another key does not verify");
  assert.deepEqual(JSON.parse(first.body), payload, "the payload the log shows is what was sent");

  // Axe with the log and details open, then on a phone: nothing wider than the screen.
  assert.deepEqual(axeFindings(await axe(page)), [], "axe on the page at 1440 px");
  await screenshot(page, "webhooks-1440");
  await page.setViewportSize({ width: 390, height: 844 });
  await detail.locator("tbody tr").first().waitFor();
  assert.deepEqual(axeFindings(await axe(page)), [], "axe on the page at 390 px");
  assert.deepEqual(await overflows(page), [], "nothing wider than a 390 px phone");
  await screenshot(page, "webhooks-390");
  await page.setViewportSize({ width: 1440, height: 900 });

  // Replay: the same webhook-id again.
  await row.getByRole("button", { name: /^Replay webhook\.test/ }).click();
  await receivedCount(2);
  assert.equal(received[1].id, webhookId, "a replay keeps the webhook-id");
  assert.equal(matching(secret, received[1]).length, 1, "the replay is signed");

  // Rotate the secret: a warning about the 24 hours, a new secret, both sign the next test.
  await card.getByRole("button", { name: "Rotate secret" }).click();
  const ask = page.getByRole("alertdialog", { name: "Rotate the signing secret?" });
  await ask.getByText("24 hours", { exact: false }).waitFor();
  await ask.getByRole("button", { name: "Rotate secret" }).click();
  await ask.waitFor({ state: "hidden" });
  await card.getByText("The previous secret also signs until", { exact: false }).waitFor(WAIT);
  const newSecret = (await secretBox.textContent()).trim();
  assert.match(newSecret, /^whsec_/);
  assert.notEqual(newSecret, secret, "a new secret");
  // The replay shows delivered on its second attempt (a test waits for the one before).
  await log.locator('tbody tr[data-status="delivered"] [data-testid="attempts"]', { hasText: /^2$/ }).waitFor(WAIT);
  await card.getByRole("button", { name: "Send test" }).click();
  await delivered.nth(1).waitFor(WAIT);
  await receivedCount(3);
  const third = received[2];
  assert.notEqual(third.id, webhookId, "a new test is a new message");
  assert.equal(matching(newSecret, third).length, 1, "the new secret signs");
  assert.equal(matching(secret, third).length, 1, "the old secret still signs");

  // Disable: the state and why; "Send test" waits for "Enable".
  await card.getByRole("button", { name: "Disable" }).click();
  await card.getByText("Disabled", { exact: true }).waitFor(WAIT);
  assert.equal(await card.getByRole("button", { name: "Send test" }).isDisabled(), true);
  await card.getByRole("button", { name: "Enable" }).click();
  await card.getByText("Enabled", { exact: true }).waitFor(WAIT);

  // Edit in place: a refused URL shows beside the field and "Cancel" puts the card back; then a
  // new description and one more kind, saved, show on the card.
  await card.getByRole("button", { name: "Edit", exact: true }).click();
  const edit = card.getByRole("form", { name: "Edit endpoint" });
  await edit.waitFor(WAIT);
  const editUrl = edit.getByLabel("URL");
  assert.equal(await editUrl.inputValue(), hookUrl, "the form starts from the endpoint's URL");
  assert.equal(await edit.getByLabel("Description").inputValue(), "Test receiver");
  assert.equal(await edit.getByRole("checkbox", { name: /A backtest finished/ }).isChecked(), true);
  assert.deepEqual(axeFindings(await axe(page)), [], "axe on the edit form");
  await editUrl.fill("ftp://x");
  await edit.getByRole("button", { name: "Save", exact: true }).click();
  const editUrlError = edit.locator(".field-invalid .field-error");
  await editUrlError.waitFor(WAIT);
  assert.equal(await editUrl.getAttribute("aria-invalid"), "true");
  assert.ok((await editUrl.getAttribute("aria-describedby")).includes(await editUrlError.getAttribute("id")), "the error describes the field");
  assert.ok((await editUrlError.textContent()).trim().length > 0, "the error says why");
  await page.setViewportSize({ width: 390, height: 844 });
  await editUrlError.scrollIntoViewIfNeeded();
  assert.deepEqual(await overflows(page), [], "the edit form fits a 390 px phone");
  await screenshot(page, "webhooks-edit-390");
  await page.setViewportSize({ width: 1440, height: 900 });
  await edit.getByRole("button", { name: "Cancel", exact: true }).click();
  await edit.waitFor({ state: "detached", ...WAIT });
  await card.getByText("Test receiver", { exact: true }).waitFor();
  assert.equal(await card.getByRole("heading", { name: hookUrl }).count(), 1, "cancel keeps the URL");

  await card.getByRole("button", { name: "Edit", exact: true }).click();
  await edit.waitFor(WAIT);
  assert.equal(await editUrl.inputValue(), hookUrl, "cancel dropped the refused URL");
  await edit.getByLabel("Description").fill("Renamed receiver");
  await edit.getByRole("checkbox", { name: /A backtest failed/ }).check();
  await edit.getByRole("button", { name: "Save", exact: true }).click();
  await edit.waitFor({ state: "detached", ...WAIT });
  await card.getByText("Renamed receiver", { exact: true }).waitFor(WAIT);
  await card.getByText("A backtest finished (its headline numbers)").waitFor();
  await card.getByText("A backtest failed, with the reason").waitFor();
  assert.equal(await card.getByText("Test receiver", { exact: true }).count(), 0, "the old description is gone");
  assert.equal(await card.getByRole("button", { name: "Edit", exact: true }).evaluate((b) => b === document.activeElement), true, "focus returns to Edit");

  // Delete, after its warning.
  await card.getByRole("button", { name: "Delete" }).click();
  const del = page.getByRole("alertdialog", { name: "Delete this endpoint?" });
  await del.getByRole("button", { name: "Delete endpoint" }).click();
  await card.waitFor({ state: "detached", ...WAIT });
  await page.getByText("No endpoints yet.", { exact: false }).waitFor(WAIT);

  assert.deepEqual(errors, [], "no page errors");
  await context.close();
});
