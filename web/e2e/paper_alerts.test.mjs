// Paper trading alerts and drift in the browser: "Paper trade this" with "Alert me when… no
// trade for 2 candles" replays the demo BTC-USD daily candles from 2021-01-01 (SMA 10/30 first
// trades on 2021-02-06, so the alert fires within a few candles); the alert note arrives live
// on the dashboard (and the bell's count) without a reload; the thresholds are edited (the
// server's 422 on the field, then a valid save shown); "Check for drift" says the run made
// exactly the backtest's trades; axe finds nothing; nothing overflows at 390 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn } from "./harness.mjs";

const WAIT = { timeout: 30_000 };
const ALERT_WAIT = { timeout: 60_000 };

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

async function noOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what} overflows horizontally at 390 px: ${scroll} > ${client}`);
}

test("paper alerts arrive live, thresholds are edited, drift is checked", { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await signIn(page, server.url);
  await page.goto(`${server.url}/`);

  // A backtest of the SMA crossover template on the demo data.
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByRole("button", { name: "Run backtest" }).click();
  const runDialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await runDialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);

  // Paper trade it, with "no trade for 2 candles" among the alerts (the others prefilled).
  await page.getByRole("button", { name: "Paper trade this" }).click();
  const dialog = page.getByRole("dialog", { name: /^Paper trade/ });
  await dialog.waitFor(WAIT);
  await dialog.getByLabel("Replay from").fill("2021-01-01");
  const noTrade = dialog.getByLabel("No trade for (candles)");
  assert.equal(await noTrade.isVisible(), false, "the alerts are folded away");
  await dialog.getByText("Alert me when…").click();
  assert.equal(await dialog.getByLabel("Drop from the highest value (%)").inputValue(), "20");
  assert.equal(await dialog.getByLabel("Loss in 24 hours (%)").inputValue(), "10");
  assert.equal(await dialog.getByLabel("Loss in 7 days (%)").inputValue(), "");
  assert.equal(await dialog.getByLabel("Losing trades in a row").inputValue(), "5");
  assert.equal(await dialog.getByLabel("Data late by (candles)").inputValue(), "3");
  await noTrade.fill("2");
  await screenshot(page, "paper-dialog-alerts");
  let violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  await dialog.getByRole("button", { name: "Start paper trading" }).click();

  await page.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  const dashboardUrl = page.url();
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  const alerts = page.getByRole("region", { name: "Alerts", exact: true });
  assert.match(await alerts.innerText(), /No trading: no entry or exit for 2 candles or more/);

  // The alert arrives live: a ledger note marked "Alert", the banner, the bell's count.
  const ledger = page.getByRole("region", { name: "Ledger entries" });
  const note = ledger.locator("tbody tr.ledger-alert").first();
  await note.waitFor(ALERT_WAIT);
  const noteText = await note.innerText();
  assert.match(noteText, /Alert/, noteText);
  assert.match(noteText, /Alert: /, noteText);
  await page.getByRole("heading", { level: 2, name: /Alerts under way \(1\)/ }).waitFor(WAIT);
  await alerts.locator(".alert-on", { hasText: "No trading" }).getByText("Under way now").waitFor(WAIT);
  await page.locator(".bell .badge").waitFor(WAIT);
  assert.ok(await page.evaluate(() => window.__sameDocument === true), "the alert arrived without a reload");

  // Edit the thresholds: an out-of-range value gets the server's error on its field.
  await alerts.getByRole("button", { name: "Edit alerts" }).click();
  const form = page.getByRole("form", { name: "Edit alerts" });
  await form.getByLabel("Drop from the highest value (%)").fill("150");
  await form.getByRole("button", { name: "Save alerts" }).click();
  const drawdown = form.getByLabel("Drop from the highest value (%)");
  await page.waitForFunction(() => document.querySelector('.alert-form [aria-invalid="true"]'), null, WAIT);
  assert.equal(await drawdown.getAttribute("aria-invalid"), "true");
  const fieldError = await form.locator(".field-invalid .field-error").innerText();
  assert.ok(fieldError.length > 5, `the server's error is shown: ${fieldError}`);
  await screenshot(page, "paper-alerts-error");
  // A valid save: the thresholds shown change.
  await drawdown.fill("30");
  await form.getByLabel("Loss in 7 days (%)").fill("15");
  await form.getByRole("button", { name: "Save alerts" }).click();
  await alerts.getByText("Alerts saved.").waitFor(WAIT);
  const shown = await alerts.innerText();
  assert.match(shown, /more than 30% below the highest account value/, shown);
  assert.match(shown, /more than 15% lost over 7 days/, shown);
  assert.match(await page.getByRole("region", { name: "Settings of this paper run" }).innerText(), /30% below the highest value/);
  await alerts.scrollIntoViewIfNeeded();
  await screenshot(page, "paper-alerts");
  violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));

  // Compare with the backtest: on the same candles, the same trades.
  const drift = page.getByRole("region", { name: "Compare with the backtest" });
  await drift.getByRole("button", { name: "Check for drift" }).click();
  await drift.getByText(/The run made exactly the backtest's/).waitFor(WAIT);
  const numbers = await drift.locator(".drift-numbers").first().innerText();
  assert.match(numbers, /Paper run/);
  assert.match(numbers, /Backtest/);
  assert.match(numbers, /Final account value/);
  assert.match(await drift.innerText(), /Trades that differ\s+None/);
  // Asking again computes it again.
  const again = page.waitForResponse((r) => /\/paper-trades\/[^/]+\/drift$/.test(r.url()) && r.status() === 200);
  await drift.getByRole("button", { name: "Check for drift" }).click();
  await again;
  await drift.getByText(/The run made exactly the backtest's/).waitFor(WAIT);
  await drift.scrollIntoViewIfNeeded();
  await screenshot(page, "paper-drift");
  violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  assert.ok(await page.evaluate(() => window.__sameDocument === true), "everything arrived without a reload");
  assert.deepEqual(errors, []);

  // The alert is also a notification, linking to the dashboard.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Notifications/ }).click();
  const notifications = page.getByRole("list", { name: "Notifications" });
  await notifications.waitFor(WAIT);
  const alertItem = notifications.locator("li", { has: page.getByRole("link", { name: /^Open the paper run/ }) }).first();
  await alertItem.waitFor(WAIT);
  assert.match(await alertItem.innerText(), /trade/i);
  await alertItem.getByRole("link", { name: /^Open the paper run/ }).click();
  await page.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  assert.equal(page.url(), dashboardUrl);

  // A phone: the alerts, their form and the drift panel fit 390 px.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  const mobileErrors = [];
  mobile.on("pageerror", (e) => mobileErrors.push(e));
  await signIn(mobile, server.url);
  await mobile.goto(dashboardUrl);
  await mobile.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  await mobile.getByRole("region", { name: "Ledger entries" }).locator("tbody tr.ledger-alert").first().waitFor(WAIT);
  const mDrift = mobile.getByRole("region", { name: "Compare with the backtest" });
  await mDrift.getByRole("button", { name: "Check for drift" }).click();
  await mDrift.getByText(/The run made exactly the backtest's/).waitFor(WAIT);
  await noOverflow(mobile, "the dashboard with the drift report");

  // A report with differences (made up here: the demo candles never change): a table of the
  // trades that differ, each with its causes, and the causes found.
  const day = (d) => Date.parse(`${d}T00:00:00Z`);
  const trade = (entry, exit, pnl) => ({ side: "long", entry_ts: day(entry), exit_ts: day(exit), entry_price: 32000.5, exit_price: 33000.25, pnl });
  const revised = { kind: "revised_candle", candle_ts: day("2021-02-10"), message: "The close of 2021-02-10 was 44,807.58 when processed and is 44,900.00 now." };
  const paused = { kind: "pause", candle_ts: null, message: "The run was paused for 3 candles (2021-03-01 to 2021-03-03); the backtest traded them." };
  await mobile.route(/\/paper-trades\/[^/]+\/drift$/, (route) =>
    route.fulfill({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({
        from_ts: day("2021-01-01"),
        to_ts: day("2021-04-01"),
        candles_processed: 88,
        candles_stored_now: 91,
        matched: 1,
        differences: [
          { kind: "different", paper: trade("2021-02-06", "2021-02-20", 1234.5), backtest: trade("2021-02-06", "2021-02-22", 1500.25), causes: [revised] },
          { kind: "missing_in_paper", paper: null, backtest: trade("2021-03-02", "2021-03-20", -321.75), causes: [paused] },
        ],
        causes: [revised, paused],
        paper: { trades: 2, total_pnl: 1800, max_drawdown_pct: -12.5, final_equity: 11800 },
        backtest: { trades: 3, total_pnl: 1744.25, max_drawdown_pct: -13.25, final_equity: 11744.25 },
        verdict: "The run differs from the backtest in 2 of 3 trades: a revised candle and a pause.",
      }),
    }),
  );
  await mDrift.getByRole("button", { name: "Check for drift" }).click();
  await mDrift.getByText("The run differs from the backtest in 2 of 3 trades").waitFor(WAIT);
  const differ = mDrift.getByRole("region", { name: "Trades that differ" });
  await differ.waitFor(WAIT);
  const differText = await differ.innerText();
  assert.match(differText, /Same entry, another exit or result/, differText);
  assert.match(differText, /Only the backtest made it/, differText);
  assert.match(differText, /Candle revised later/, differText);
  assert.match(differText, /Run paused/, differText);
  assert.match(await mDrift.innerText(), /Final account value\s+11,800 USD\s+11,744 USD/);
  await noOverflow(mobile, "the drift report with differences");
  await mDrift.scrollIntoViewIfNeeded();
  await screenshot(mobile, "paper-drift-phone");
  violations = await axe(mobile);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  await mobile.getByRole("region", { name: "Alerts", exact: true }).getByRole("button", { name: "Edit alerts" }).click();
  await mobile.getByRole("form", { name: "Edit alerts" }).waitFor(WAIT);
  await noOverflow(mobile, "the alerts form");
  await screenshot(mobile, "paper-alerts-phone");
  violations = await axe(mobile);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  assert.deepEqual(mobileErrors, []);
  await phone.close();

  // Stop the run.
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await page.getByRole("alertdialog", { name: "Stop paper trading?" }).getByRole("button", { name: "Stop paper trading" }).click();
  await page.getByRole("note", { name: "Why it stopped" }).waitFor(WAIT);
  await context.close();
});
