// (c) The free plan's daily backtest quota: use it up through the API (50 runs, two at a time,
// as the plan allows), then press "Run backtest" in the UI and get the upgrade prompt, not an
// error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot } from "./harness.mjs";

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

async function call(method, path, token, body) {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function waitForRun(token, id) {
  for (;;) {
    const r = await call("GET", `/api/v1/backtests/${id}`, token);
    if (["succeeded", "failed", "cancelled"].includes(r.body.status)) return r.body;
    await new Promise((ok) => setTimeout(ok, 25)); // polling the API, not synchronising the page
  }
}

test("the free plan's daily backtests run out and the upgrade prompt explains it", async () => {
  const email = `quota-${Date.now()}@example.com`;
  const password = "violet harbour stamps quickly";
  const reg = await call("POST", "/api/v1/auth/register", null, { email, password, display_name: "Quinn" });
  assert.equal(reg.status, 202);
  const login = await call("POST", "/api/v1/auth/login", null, { email, password });
  assert.equal(login.status, 200);
  const token = login.body.access_token;
  const templates = await call("GET", "/api/v1/strategies?visibility=public", token);
  const rsi = templates.body.items.find((s) => s.title === "RSI mean reversion");
  const clone = await call("POST", `/api/v1/strategies/${rsi.id}/clone`, token, {});
  assert.equal(clone.status, 201);
  const strategyId = clone.body.strategy.id;

  // Use up the day's backtests, two at a time (the free plan's limit on runs at once).
  const plan = (await call("GET", "/api/v1/plan-usage", token)).body;
  assert.equal(plan.plan, "free");
  const limit = plan.backtests_today.limit;
  const started = Date.now();
  let submitted = 0;
  const worker = async () => {
    while (submitted < limit) {
      submitted += 1;
      const r = await call("POST", "/api/v1/backtests", token, { strategy_id: strategyId, symbol: "BTC-USD" });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await waitForRun(token, r.body.id);
    }
  };
  await Promise.all([worker(), worker()]);
  console.log(`used ${limit} backtests through the API in ${Date.now() - started} ms`);
  const refused = await call("POST", "/api/v1/backtests", token, { strategy_id: strategyId, symbol: "BTC-USD" });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, "quota_exceeded");
  assert.equal(refused.body.error.details.metric, "backtests");

  // Now the user, in the browser.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { level: 1, name: "Welcome, Quinn" }).waitFor();
  await page.getByText(`${limit} of ${limit} backtests today`).waitFor();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Strategies", exact: true }).click();
  const card = page.getByRole("article", { name: "RSI mean reversion" });
  await card.getByRole("button", { name: "Run backtest" }).click();
  const dialog = page.getByRole("dialog", { name: "Run a backtest: RSI mean reversion" });
  await dialog.getByRole("button", { name: "Run backtest" }).click();

  const prompt = page.getByRole("alertdialog", { name: "You have reached a limit of your plan" });
  await prompt.waitFor();
  await prompt.getByText(`You have used all ${limit} backtests of the Free plan today`).waitFor();
  await prompt.getByText(`${limit} backtests per day on the Free plan`).waitFor();
  await prompt.getByText(/The count starts again in \d+ (hours?|minutes?|seconds?)/).waitFor();
  await prompt.getByText(/Premium runs 1,000 backtests a day/).waitFor();
  await prompt.getByRole("link", { name: "See plans and upgrade" }).waitFor();
  assert.equal(await page.getByText("The server answered").count(), 0, "no raw error");
  assert.equal(await dialog.isVisible(), false, "the run dialog gave way to the prompt");
  await screenshot(page, "quota-upgrade-prompt");

  // Escape closes the prompt; the plan page explains the rest.
  await page.keyboard.press("Escape");
  await prompt.waitFor({ state: "hidden" });
  await page.getByRole("link", { name: "Plan and upgrade" }).click();
  await page.getByRole("heading", { level: 1, name: "Your plan" }).waitFor();
  await page.getByText(`${limit} of ${limit}`).first().waitFor();
  await page.getByText("limit reached").first().waitFor();
  await context.close();
});
