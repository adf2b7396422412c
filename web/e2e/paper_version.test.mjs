// Paper trading a strategy version, no backtest first: a new account copies the SMA crossover
// template, the canvas offers "Paper trade…" for its saved version, and the strategy page's
// "Paper trade" replays it on the demo BTC-USD daily candles from 2021-01-01 with the run
// dialog's honest defaults. The dashboard fills in live; a stream the page opens again asks
// only for the entries after the last one it holds (`?after=`); at 390 px nothing overflows.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn } from "./harness.mjs";

const WAIT = { timeout: 30_000 };
// SMA 10/30 on BTC-USD daily first crosses up after 2021-01-01 on 2021-02-06: about 37 candles
// of replay at one a second, plus the scheduler's start.
const FILL_WAIT = { timeout: 120_000 };

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

/** The number in a KPI card ("Candles processed": 42). */
async function kpi(page, label) {
  const text = await page.locator(".kpi", { has: page.locator("dt", { hasText: label }) }).locator("dd").innerText();
  return Number(text.replace(/[^0-9.-]/g, ""));
}

/** Waits until the "Candles processed" card shows more than `n`. */
async function candlesAbove(page, n) {
  await page.waitForFunction(
    (n) => {
      const card = [...document.querySelectorAll(".kpi")].find((k) => k.querySelector("dt")?.textContent?.includes("Candles processed"));
      return Number(card?.querySelector("dd")?.textContent?.replace(/[^0-9]/g, "")) > n;
    },
    n,
    WAIT,
  );
}

async function noOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what} overflows horizontally at 390 px: ${scroll} > ${client}`);
}

async function noViolations(page) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
}

test("paper trading a strategy version from its page: replay, live ledger, resume after, phone", { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));

  // A new account.
  await page.goto(`${server.url}/signup`);
  await page.getByRole("heading", { level: 1, name: "Create your account" }).waitFor(WAIT);
  await page.getByLabel("Your name (optional)").fill("Pat");
  const account = { email: `pat-${Date.now()}@example.com`, password: "violet harbour stamps quickly" };
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor(WAIT);

  // The SMA crossover template, copied.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Home" }).click();
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByText("Copied to your strategies.").waitFor(WAIT);

  // Its page: "Paper trade" next to "Run backtest".
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Strategies" }).click();
  await page.getByRole("main").getByRole("link", { name: "SMA crossover" }).first().click();
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);

  // The canvas offers it too, for the saved version.
  await page.getByRole("link", { name: "Edit on the canvas" }).click();
  await page.getByRole("tab", { name: "Save, run, versions" }).click();
  await page.getByRole("button", { name: "Paper trade…" }).click();
  let dialog = page.getByRole("dialog", { name: "Paper trade: SMA crossover" });
  await dialog.getByRole("button", { name: "Start paper trading" }).waitFor(WAIT);
  assert.match(await dialog.innerText(), /version 1 of SMA crossover/);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden", ...WAIT });
  await page.getByRole("link", { name: "Strategy page" }).click();
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);

  await page.getByRole("button", { name: "Paper trade", exact: true }).click();
  dialog = page.getByRole("dialog", { name: "Paper trade: SMA crossover" });
  await dialog.getByRole("button", { name: "Start paper trading" }).waitFor(WAIT);
  // The run dialog's honest defaults, on BTC-USD daily.
  assert.match(await dialog.getByLabel("Market to trade").locator("option:checked").innerText(), /^BTC-USD · daily candles/);
  assert.equal(await dialog.getByLabel("Starting money").inputValue(), "10000");
  assert.equal(await dialog.getByLabel("Fee per trade (%)").inputValue(), "0.1");
  assert.equal(await dialog.getByLabel("Slippage (basis points)").inputValue(), "5");
  assert.ok(await dialog.getByRole("radio", { name: /At the next candle's open/ }).isChecked());
  // Demo data gets no new candles: Live is off and Replay chosen, from a default date.
  assert.equal(await dialog.getByRole("radio", { name: /^Live/ }).isDisabled(), true, "Live is off on demo data");
  assert.equal(await dialog.getByRole("radio", { name: /^Replay/ }).isChecked(), true, "Replay is chosen");
  assert.match(await dialog.getByLabel("Replay from").inputValue(), /^20\d\d-\d\d-\d\d$/, "a default replay date");

  // A wrong value is shown on its field, and nothing is started.
  await dialog.getByLabel("Fee per trade (%)").fill("-1");
  await dialog.getByRole("button", { name: "Start paper trading" }).click();
  const fee = dialog.getByLabel("Fee per trade (%)");
  await page.waitForFunction((el) => el.getAttribute("aria-invalid") === "true", await fee.elementHandle(), WAIT);
  assert.match(await dialog.innerText(), /Enter the fee as a percentage/);
  await fee.fill("0.1");

  await dialog.getByLabel("Replay from").fill("2021-01-01");
  await screenshot(page, "paper-version-dialog");
  await noViolations(page);
  await dialog.getByRole("button", { name: "Start paper trading" }).click();

  // The dashboard, filling in live.
  await page.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  assert.match(page.url(), /\/paper\/[^/]+$/);
  const dashboardUrl = page.url();
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  const ledger = page.getByRole("region", { name: "Ledger entries" });
  await ledger.locator("tbody tr", { hasText: "Fill" }).first().waitFor(FILL_WAIT);
  assert.match(await ledger.locator("tbody tr", { hasText: "Fill" }).first().innerText(), /Entered long: [\d.,]+ BTC at [\d.,]+ USD/);
  assert.ok(await page.evaluate(() => window.__sameDocument === true), "the fill arrived without a reload");
  assert.ok((await kpi(page, "Candles processed")) >= 30, "candles were processed");
  assert.match(await page.locator("main").innerText(), /version 1/i);
  await page.locator(".chart-canvas canvas").first().waitFor(WAIT);
  await noViolations(page);

  // The stream refused once (as after an expired token): the page refreshes its token and
  // opens it again, asking only for the entries after the last one it holds.
  let streams = 0;
  const reopened = page.waitForEvent("request", { predicate: (r) => /\/events\b/.test(r.url()) && ++streams === 2, ...WAIT });
  await page.route(
    /\/api\/v1\/paper-trades\/[^/]+\/events/,
    async (route) => {
      // Refused once the ledger is on the page, so the page holds entries.
      await ledger.locator("tbody tr").first().waitFor(WAIT);
      await route.fulfill({ status: 401, contentType: "application/json", body: '{"error":{"code":"unauthorized","message":"expired"}}' });
    },
    { times: 1 },
  );
  await page.goto(dashboardUrl);
  await page.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  const second = new URL((await reopened).url());
  const after = Number(second.searchParams.get("after"));
  assert.ok(after > 0, `the second stream asks for the entries after the last one held: ${second}`);
  const candles = await kpi(page, "Candles processed");
  await candlesAbove(page, candles);
  // Every candle once: no entry shown twice.
  await page.getByRole("checkbox", { name: "Show every candle" }).check();
  await ledger.locator("tbody tr", { hasText: "Candle" }).first().waitFor(WAIT);
  await candlesAbove(page, await kpi(page, "Candles processed"));
  const rows = await ledger.locator("tbody tr").allInnerTexts();
  assert.equal(new Set(rows).size, rows.length, "no ledger entry is listed twice");
  assert.deepEqual(errors, []);
  await context.close();

  // A phone: a readable read-only dashboard, nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  const mobileErrors = [];
  mobile.on("pageerror", (e) => mobileErrors.push(e));
  await signIn(mobile, server.url, account);
  await mobile.goto(dashboardUrl);
  await mobile.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  await mobile.getByRole("heading", { name: "Open position" }).waitFor(WAIT);
  await mobile.locator(".chart-canvas canvas").first().waitFor(WAIT);
  await mobile.getByRole("region", { name: "Ledger entries" }).locator("tbody tr", { hasText: "Fill" }).first().waitFor(WAIT);
  await noOverflow(mobile, "the dashboard");
  // The KPIs, the chart and the ledger fit the screen's width.
  const wide = await mobile.evaluate(() =>
    [...document.querySelectorAll(".kpi, .chart-canvas, .position-facts, .table-wrap")]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .map((el) => el.className),
  );
  assert.deepEqual(wide, [], "nothing sticks out on the right");
  await screenshot(mobile, "paper-version-dashboard-phone");
  await noViolations(mobile);
  await mobile.goto(`${server.url}/paper`);
  await mobile.getByRole("region", { name: "Paper runs" }).waitFor(WAIT);
  await noOverflow(mobile, "the list");
  await screenshot(mobile, "paper-version-list-phone");
  // The dialog on a phone: its fields shrink to the screen.
  await mobile.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Strategies" }).click();
  await mobile.getByRole("main").getByRole("link", { name: "SMA crossover" }).first().click();
  await mobile.getByRole("button", { name: "Paper trade", exact: true }).click();
  const phoneDialog = mobile.getByRole("dialog", { name: "Paper trade: SMA crossover" });
  await phoneDialog.getByLabel("Market to trade").waitFor(WAIT);
  const wider = await phoneDialog.evaluate((d) =>
    [...d.querySelectorAll("fieldset, select, input")].filter((el) => el.getBoundingClientRect().right > d.getBoundingClientRect().right).length,
  );
  assert.equal(wider, 0, "no field of the dialog is wider than the dialog at 390 px");
  await screenshot(mobile, "paper-version-dialog-phone");
  assert.deepEqual(mobileErrors, []);
  await phone.close();
});
