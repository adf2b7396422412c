// Billing, end to end, against a fake Stripe (e2e/fake-stripe.mjs: Stripe's wire format, its
// hosted checkout and portal pages, signed webhooks). The server runs with Stripe keys pointing
// at the fake, a 4-second grace period after a failed payment and a 1-second sweep.
//
// A new account opens its plan page and sees the Free limits; a return from a checkout it did
// not pay is only "Confirming…", never an upgrade. "Upgrade to Premium" goes to the fake's
// checkout; "Back" returns with "Checkout was canceled"; "Pay" returns to "You are now on the
// Premium plan." with Premium's limits (the same numbers GET /api/v1/plan-usage reports), and
// the fake got the Checkout Session call with an Idempotency-Key and a Stripe-Version.
// "Cancel subscription" says until when the plan stays, then the page says when it ends and
// offers "Resume", which undoes it. "Manage billing" opens the fake portal, whose return link
// comes back to /plan. A failed renewal shows the grace alert naming its end (still Premium);
// paying the invoice clears it; failing again and letting the grace run out moves the account
// to Free, with the server's notice. Axe at 1440 and 390 px, nothing wider than the phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { startServer, launchBrowser, screenshot, axe, signIn, sticksOut } from "./harness.mjs";
import { startFakeStripe, formEncode } from "./fake-stripe.mjs";

const WAIT = { timeout: 60_000 };
const SECRET = "whsec_e2e_secret";
const stamp = Date.now();
const USER = { email: `billing-${stamp}@example.com`, password: "violet harbour stamps quickly", display_name: "Bill Payer" };

let fake;
let server;
let browser;
let context;
let page;
const errors = [];
/** The subscription the checkout created. */
let subId = null;
/** The Free plan's limits as the page showed them. */
let freeLimits = null;

before(async () => {
  fake = await startFakeStripe({ webhookSecret: SECRET });
  server = await startServer({
    env: {
      BB_STRIPE_SECRET_KEY: "sk_test_e2e",
      BB_STRIPE_WEBHOOK_SECRET: SECRET,
      BB_STRIPE_API_BASE: fake.url,
      BB_STRIPE_PRICE_PREMIUM: "price_premium",
      BB_STRIPE_PRICE_EDUCATOR: "price_educator",
      BB_BILLING_GRACE: "4s",
      BB_BILLING_SWEEP_INTERVAL: "1s",
    },
  });
  fake.webhookUrl = `${server.url}/api/v1/billing/stripe-webhook`;
  browser = await launchBrowser();
  const r = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(USER),
  });
  assert.equal(r.status, 202, `registers: ${await r.text()}`);
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, server.url, { email: USER.email, password: USER.password });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

function axeFindings(violations) {
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** What is wider than the screen: the page, and any element sticking out of it. */
const overflows = () => sticksOut(page);

/** Axe at 1440 px, then axe and the overflow check at 390 px; a screenshot of each. */
async function checkBothWidths(name) {
  assert.deepEqual(axeFindings(await axe(page)), [], `axe on ${name} at 1440 px`);
  await screenshot(page, `billing-${name}-1440`);
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(axeFindings(await axe(page)), [], `axe on ${name} at 390 px`);
  assert.deepEqual(await overflows(), [], `${name}: nothing wider than a 390 px phone`);
  await screenshot(page, `billing-${name}-390`);
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** An API answer, with the page's own token. */
async function api(path) {
  return page.evaluate(async (path) => {
    const r = await fetch(path, { headers: { Authorization: `Bearer ${sessionStorage.getItem("bb.token")}` } });
    if (!r.ok) throw new Error(`${path} answered ${r.status}`);
    return r.json();
  }, path);
}

/** The limits the plan page shows (from "What you use"). */
async function shownLimits() {
  const usage = page.getByRole("region", { name: "What you use" });
  await usage.waitFor(WAIT);
  const text = async (label) => (await usage.locator("dt", { hasText: label }).locator("xpath=following-sibling::dd").textContent()).trim();
  const limitOf = (s) => Number(s.match(/of (\d+)/)?.[1]);
  return {
    backtests: limitOf(await text("Backtests today")),
    concurrent: limitOf(await text("Runs at the same time")),
    strategies: limitOf(await text("Saved strategies")),
    sweep: Number((await text("Combinations in one sweep")).match(/(\d+)/)[1]),
    history: Number((await text("Past runs kept in the history")).match(/(\d+)/)[1]),
  };
}

/** The same limits from GET /api/v1/plan-usage. */
async function apiLimits() {
  const u = await api("/api/v1/plan-usage");
  return {
    plan: u.plan,
    limits: {
      backtests: u.backtests_today.limit,
      concurrent: u.concurrent_runs.limit,
      strategies: u.strategies.limit,
      sweep: u.max_sweep_combinations,
      history: u.max_history_runs,
    },
  };
}

/** A date as the page writes it (the browser's own locale and time zone). */
function pageDate(ms, withTime) {
  return page.evaluate(
    ([ms, withTime]) => new Intl.DateTimeFormat(undefined, { dateStyle: "long", ...(withTime ? { timeStyle: "short" } : {}) }).format(new Date(ms)),
    [ms, withTime],
  );
}

const billing = () => page.getByRole("region", { name: "Billing" });
const currentPlan = () => billing().getByTestId("billing-plan");

test("the fake Stripe: authentication, form bodies, idempotency, signed events", async () => {
  const got = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = String(req.headers["stripe-signature"] ?? "");
      const t = header.match(/(?:^|,)t=(\d+)/)?.[1];
      const v1 = header.match(/(?:^|,)v1=([0-9a-f]+)/)?.[1];
      const valid = !!t && v1 === createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex");
      got.push({ valid, event: JSON.parse(body) });
      res.writeHead(valid ? 200 : 400);
      res.end();
    });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
  const stripe = await startFakeStripe({ webhookSecret: SECRET, webhookUrl: `http://127.0.0.1:${receiver.address().port}/hook` });
  try {
    const call = async (method, path, body, headers = {}) => {
      const r = await fetch(`${stripe.url}${path}`, {
        method,
        headers: { Authorization: "Bearer sk_test_self", "Stripe-Version": "2026-09-30.endive", ...headers },
        body: body ? formEncode(body).toString() : undefined,
        redirect: "manual",
      });
      return { status: r.status, headers: r.headers, body: r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text() };
    };
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const refused = await call("GET", "/v1/subscriptions/sub_x", null, { Authorization: "Bearer pk_test_nope" });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.type, "invalid_request_error");
    assert.equal((await call("GET", "/v1/subscriptions/sub_x")).status, 404);

    const params = {
      mode: "subscription",
      line_items: [{ price: "price_premium", quantity: 1 }],
      success_url: "http://app.test/plan?checkout=success&session_id={CHECKOUT_SESSION_ID}",
      cancel_url: "http://app.test/plan?checkout=canceled",
      client_reference_id: "user-1",
      customer_email: "a@example.com",
      subscription_data: { metadata: { user_id: "user-1" } },
    };
    assert.equal((await call("POST", "/v1/checkout/sessions", params, form)).status, 400, "a POST without an Idempotency-Key");
    const session = await call("POST", "/v1/checkout/sessions", params, { ...form, "Idempotency-Key": "k1" });
    assert.equal(session.status, 200);
    assert.match(session.body.id, /^cs_test_/);
    assert.equal(session.body.url, `${stripe.url}/checkout/${session.body.id}`);
    const again = await call("POST", "/v1/checkout/sessions", params, { ...form, "Idempotency-Key": "k1" });
    assert.equal(again.body.id, session.body.id, "the same key answers the first answer");
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    const other = await call("POST", "/v1/checkout/sessions", { ...params, client_reference_id: "user-2" }, { ...form, "Idempotency-Key": "k1" });
    assert.equal(other.body.error.type, "idempotency_error");
    const noPrice = await call("POST", "/v1/checkout/sessions", { ...params, line_items: [{ quantity: 1 }] }, { ...form, "Idempotency-Key": "k2" });
    assert.equal(noPrice.body.error.param, "line_items[0][price]");

    const pay = await fetch(`${session.body.url}/pay`, { method: "POST", redirect: "manual" });
    assert.equal(pay.status, 303);
    assert.equal(pay.headers.get("location"), `http://app.test/plan?checkout=success&session_id=${session.body.id}`);
    const sub = [...stripe.subscriptions.values()][0];
    assert.equal(sub.metadata.user_id, "user-1");
    assert.ok(sub.items.data[0].current_period_end > Date.now() / 1000 + 29 * 86400);
    assert.deepEqual(got.map((g) => g.event.type), ["checkout.session.completed", "customer.subscription.created"]);
    assert.equal(got[0].event.data.object.subscription, sub.id);
    const updated = await call("POST", `/v1/subscriptions/${sub.id}`, { cancel_at_period_end: true }, { ...form, "Idempotency-Key": "k3" });
    assert.equal(updated.body.cancel_at_period_end, true);
    await stripe.failPayment(sub.id);
    assert.equal(stripe.subscriptions.get(sub.id).status, "past_due");
    const failed = got.find((g) => g.event.type === "invoice.payment_failed").event.data.object;
    assert.equal(failed.parent.subscription_details.subscription, sub.id);
    await stripe.payInvoice(sub.id);
    assert.deepEqual(
      got.map((g) => g.event.type).slice(2),
      ["customer.subscription.updated", "invoice.payment_failed", "customer.subscription.updated", "invoice.paid", "customer.subscription.updated"],
    );
    assert.ok(got.every((g) => g.valid), "every event is validly signed");
    assert.equal(got.at(-1).event.data.previous_attributes.status, "past_due");
  } finally {
    await stripe.stop();
    await new Promise((ok) => receiver.close(ok));
  }
});

test("upgrade to Premium through Stripe Checkout", async () => {
  await page.goto(`${server.url}/plan`);
  await page.getByRole("heading", { level: 1, name: "Your plan" }).waitFor(WAIT);
  await currentPlan().filter({ hasText: "Free" }).waitFor(WAIT);
  freeLimits = await shownLimits();
  const before = await apiLimits();
  assert.equal(before.plan, "free");
  assert.deepEqual(freeLimits, before.limits, "the page shows the Free limits the API reports");
  assert.equal(await billing().getByRole("button", { name: "Manage billing" }).count(), 0, "no portal without a Stripe customer");
  await billing().getByRole("button", { name: "Upgrade to Educator" }).waitFor();
  await checkBothWidths("free");

  // Back from a checkout without a payment: only "Confirming…", still Free.
  await page.goto(`${server.url}/plan?checkout=success&session_id=cs_test_never_paid`);
  await page.getByRole("status").filter({ hasText: "Confirming your payment…" }).waitFor(WAIT);
  await currentPlan().filter({ hasText: "Free" }).waitFor(WAIT);
  await page.waitForURL((u) => u.pathname === "/plan" && u.search === "", WAIT); // the checkout's parameters leave the address

  // To the checkout and back without paying.
  await page.goto(`${server.url}/plan`);
  await billing().getByRole("button", { name: "Upgrade to Premium" }).click();
  await page.waitForURL(`${fake.url}/checkout/**`, WAIT);
  assert.match(await page.title(), /Premium/);
  await page.getByText("$12.00 per month").waitFor();
  assert.deepEqual(axeFindings(await axe(page)), [], "axe on the fake checkout page");
  await page.getByRole("link", { name: "Back" }).click();
  await page.waitForURL(`${server.url}/plan**`, WAIT);
  await page.getByRole("status").filter({ hasText: "Checkout was canceled; nothing was charged." }).waitFor(WAIT);
  await currentPlan().filter({ hasText: "Free" }).waitFor(WAIT);

  // Pay.
  await billing().getByRole("button", { name: "Upgrade to Premium" }).click();
  await page.waitForURL(`${fake.url}/checkout/**`, WAIT);
  await page.getByRole("button", { name: "Pay" }).click();
  await page.waitForURL(`${server.url}/plan**`, WAIT);
  await page.getByRole("status").filter({ hasText: "You are now on the Premium plan." }).waitFor(WAIT);
  await currentPlan().filter({ hasText: "Premium" }).waitFor(WAIT);
  const premium = await shownLimits();
  const after = await apiLimits();
  assert.equal(after.plan, "premium");
  assert.deepEqual(premium, after.limits, "the page shows the Premium limits the API reports");
  assert.ok(premium.backtests > freeLimits.backtests, `more backtests a day: ${freeLimits.backtests} → ${premium.backtests}`);
  await page.getByText("Premium · Active").waitFor(WAIT);
  await billing().getByRole("button", { name: "Manage billing" }).waitFor();
  assert.equal(await billing().getByRole("button", { name: /^Upgrade to/ }).count(), 0, "no second checkout while subscribed");

  // What the fake got: the Checkout Session, as Stripe wants it.
  const created = fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions" && r.status === 200);
  assert.equal(created.length, 2, `two checkouts: ${JSON.stringify(fake.requests.map((r) => [r.method, r.path, r.status]))}`);
  for (const r of created) {
    assert.ok(r.idempotencyKey, "the checkout call has an Idempotency-Key");
    assert.ok(r.stripeVersion, "the checkout call names a Stripe-Version");
    assert.equal(r.body.mode, "subscription");
    assert.equal(r.body.line_items[0].price, "price_premium");
  }
  const delivered = fake.events.filter((e) => ["checkout.session.completed", "customer.subscription.created"].includes(e.event.type));
  assert.equal(delivered.length, 2);
  for (const e of delivered) assert.ok(e.status >= 200 && e.status < 300, `${e.event.type} answered ${e.status} ${e.error ?? e.answer}`);
  assert.equal(fake.subscriptions.size, 1);
  subId = [...fake.subscriptions.keys()][0];
  const view = await api("/api/v1/billing");
  assert.equal(view.subscription?.id, subId);
  assert.equal(view.subscription.plan, "premium");
  await checkBothWidths("premium");
});

test("cancel at the period's end, then resume", async () => {
  assert.ok(subId, "after the upgrade");
  const periodEnd = fake.subscriptions.get(subId).items.data[0].current_period_end * 1000;
  const endDay = await pageDate(periodEnd, false);

  await billing().getByRole("button", { name: "Cancel subscription" }).click();
  const ask = page.getByRole("alertdialog", { name: "Cancel your subscription?" });
  await ask.getByText(endDay, { exact: false }).waitFor(WAIT);
  await ask.getByRole("button", { name: "Keep my plan" }).click();
  await ask.waitFor({ state: "hidden" });
  assert.equal(fake.subscriptions.get(subId).cancel_at_period_end, false, "keeping the plan calls nothing");

  await billing().getByRole("button", { name: "Cancel subscription" }).click();
  await ask.getByRole("button", { name: "Cancel subscription" }).click();
  await ask.waitFor({ state: "hidden", ...WAIT });
  await billing().getByText(`Your Premium plan ends on ${endDay}`).waitFor(WAIT);
  await billing().getByRole("button", { name: "Resume" }).waitFor();
  assert.equal(await billing().getByRole("button", { name: "Cancel subscription" }).count(), 0);
  assert.equal(fake.subscriptions.get(subId).cancel_at_period_end, true, "Stripe cancels at the period's end");
  await currentPlan().filter({ hasText: "Premium" }).waitFor();
  await checkBothWidths("ending");

  await billing().getByRole("button", { name: "Resume" }).click();
  await billing().getByRole("button", { name: "Cancel subscription" }).waitFor(WAIT);
  assert.equal(await billing().getByText("Your Premium plan ends on").count(), 0);
  assert.equal(fake.subscriptions.get(subId).cancel_at_period_end, false, "Stripe renews again");
  const updates = fake.requests.filter((r) => r.method === "POST" && r.path === `/v1/subscriptions/${subId}`);
  assert.deepEqual(
    updates.map((r) => r.body.cancel_at_period_end),
    ["true", "false"],
  );
  for (const r of updates) assert.ok(r.idempotencyKey && r.stripeVersion);
});

test("Manage billing opens the portal, which returns to the plan page", async () => {
  await billing().getByRole("button", { name: "Manage billing" }).click();
  await page.waitForURL(`${fake.url}/portal/**`, WAIT);
  const portal = fake.requests.find((r) => r.path === "/v1/billing_portal/sessions" && r.status === 200);
  assert.ok(portal, "a portal session");
  assert.equal(portal.body.customer, fake.subscriptions.get(subId).customer);
  await page.getByRole("link", { name: "Return to Blockbuilders" }).click();
  await page.waitForURL(`${server.url}/plan**`, WAIT);
  await currentPlan().filter({ hasText: "Premium" }).waitFor(WAIT);
});

test("a failed payment: the grace period, then the Free plan", async () => {
  assert.ok(subId, "after the upgrade");
  // The renewal fails: the alert names the grace period's end; the plan is still Premium.
  const failed = await fake.failPayment(subId);
  for (const e of failed.events) assert.ok(e.status >= 200 && e.status < 300, `${e.event.type} answered ${e.status} ${e.error ?? e.answer}`);
  await page.reload();
  const alert = billing().getByRole("alert").filter({ hasText: "You keep the Premium plan until" });
  await alert.waitFor(WAIT);
  const view = await api("/api/v1/billing");
  assert.equal(view.subscription.status, "past_due");
  assert.ok(view.subscription.grace_until, "a grace period");
  assert.match(await alert.textContent(), /payment .*failed/i);
  assert.match(await alert.textContent(), new RegExp((await pageDate(view.subscription.grace_until, true)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await alert.getByRole("button", { name: "Manage billing" }).waitFor();
  assert.equal(await currentPlan().textContent(), "Premium", "still Premium during the grace period");
  await screenshot(page, "billing-grace-1440");

  // The invoice is paid: no alert.
  const paid = await fake.payInvoice(subId);
  for (const e of paid.events) assert.ok(e.status >= 200 && e.status < 300, `${e.event.type} answered ${e.status}`);
  await page.reload();
  await page.getByText("Premium · Active").waitFor(WAIT);
  assert.equal(await billing().getByRole("alert").count(), 0, "no grace alert once paid");
  await currentPlan().filter({ hasText: "Premium" }).waitFor();

  // It fails again and the grace period runs out: the Free plan, and the server's notice
  // (a new grace period: the first one ended when the invoice was paid), and without a reload
  // the page notices its end and shows the downgrade.
  await fake.failPayment(subId);
  await page.reload();
  await alert.waitFor(WAIT);
  await currentPlan().filter({ hasText: "Free" }).waitFor(WAIT);
  const notice = billing().locator(".billing-notice");
  await notice.waitFor(WAIT);
  assert.match(await notice.textContent(), /Free/, "the notice says the account is on the Free plan");
  assert.equal(await billing().getByRole("alert").count(), 0, "no grace alert once the grace is over");
  assert.deepEqual(await shownLimits(), freeLimits, "the Free limits again");
  assert.equal((await apiLimits()).plan, "free");
  await checkBothWidths("downgraded");
});

test("every call to Stripe was authenticated, versioned and (POST) idempotent", () => {
  assert.ok(fake.requests.length > 0);
  for (const r of fake.requests) {
    const what = `${r.method} ${r.path}`;
    assert.ok(r.authorized, `${what} has the secret key`);
    assert.ok(r.stripeVersion, `${what} names a Stripe-Version`);
    if (r.method === "POST") assert.ok(r.idempotencyKey, `${what} has an Idempotency-Key`);
    assert.ok(r.status >= 200 && r.status < 300, `${what} answered ${r.status}: ${JSON.stringify(r.answer)}`);
  }
  assert.deepEqual(errors, [], "no page errors");
});
