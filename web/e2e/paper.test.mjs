// Paper trading in the browser (P9): from a finished backtest of the SMA crossover on the demo
// BTC-USD daily candles, "Paper trade this" replays the stored candles from 2021-01-01, one a
// second; the dashboard shows fills arriving live (no reload), pauses, resumes and stops with
// the stop note; the list shows the run; axe finds nothing; nothing overflows at 390 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn } from "./harness.mjs";

const WAIT = { timeout: 30_000 };
// SMA 10/30 on BTC-USD daily first crosses up after 2021-01-01 on 2021-02-06: about 37 candles,
// so 37 s of replay, plus the scheduler's start.
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

async function noOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what} overflows horizontally at 390 px: ${scroll} > ${client}`);
}

test("paper trading a backtest: replay, live ledger, pause, resume, stop", { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await signIn(page, server.url);

  // The empty list explains paper trading and how to start.
  await page.goto(`${server.url}/paper`);
  await page.getByRole("heading", { level: 2, name: "No paper runs yet" }).waitFor(WAIT);
  assert.match(await page.locator("main").innerText(), /Paper trade this/);

  // A backtest of the SMA crossover template on the demo data.
  await page.getByRole("link", { name: "Home" }).click();
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByRole("button", { name: "Run backtest" }).click();
  const runDialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await runDialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);

  // Paper trade it: demo data gets no new candles, so Live is off and Replay chosen.
  await page.getByRole("button", { name: "Paper trade this" }).click();
  const dialog = page.getByRole("dialog", { name: /^Paper trade/ });
  await dialog.waitFor(WAIT);
  assert.equal(await dialog.getByRole("radio", { name: /^Live/ }).isDisabled(), true, "Live is off on demo data");
  assert.equal(await dialog.getByRole("radio", { name: /^Replay/ }).isChecked(), true, "Replay is chosen");
  assert.match(await dialog.getByLabel("Replay from").inputValue(), /^20\d\d-\d\d-\d\d$/, "a default replay date");
  await dialog.getByLabel("Replay from").fill("2021-01-01");
  assert.equal(await dialog.getByLabel("Starting money").inputValue(), "10000");
  await screenshot(page, "paper-dialog");
  const dialogViolations = await axe(page);
  assert.deepEqual(dialogViolations, [], JSON.stringify(dialogViolations, null, 1));
  await dialog.getByRole("button", { name: "Start paper trading" }).click();

  await page.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  assert.match(page.url(), /\/paper\/[^/]+$/);
  const dashboardUrl = page.url();
  // Whatever arrives from here on comes without a reload.
  await page.evaluate(() => {
    window.__sameDocument = true;
  });

  const ledger = page.getByRole("region", { name: "Ledger entries" });
  await ledger.locator("tbody tr", { hasText: "Fill" }).first().waitFor(FILL_WAIT);
  const fill = await ledger.locator("tbody tr", { hasText: "Fill" }).first().innerText();
  assert.match(fill, /Entered long: [\d.,]+ BTC at [\d.,]+ USD/, fill);
  assert.ok(await page.evaluate(() => window.__sameDocument === true), "the fill arrived without a reload");
  assert.ok((await kpi(page, "Candles processed")) >= 30, "candles were processed");
  await page.getByRole("heading", { name: "Open position" }).waitFor();
  assert.match(await page.locator(".position-facts").innerText(), /Long/);
  // The backtest's own measures of the run so far.
  const performance = page.locator("section", { has: page.getByRole("heading", { name: "Performance, as a backtest measures it" }) });
  await performance.locator(".kpi", { hasText: "Sharpe ratio" }).waitFor(WAIT);
  assert.match(await performance.innerText(), /Over the [\d,]+ candles processed/);
  // The equity chart is drawn.
  await page.locator(".chart-canvas canvas").first().waitFor(WAIT);

  // Pause: the candle count stands still. Standing still can only be seen over time: the
  // count is read once a candle traded just before the pause has had time to arrive, then
  // again three replay ticks (1 s each) later. These waits observe; they synchronise nothing.
  await page.getByRole("button", { name: "Pause" }).click();
  await page.locator(".run-facts .pill", { hasText: "Paused" }).waitFor(WAIT);
  await page.waitForTimeout(1500);
  const paused = await kpi(page, "Candles processed");
  await page.waitForTimeout(3000);
  assert.equal(await kpi(page, "Candles processed"), paused, "no candle is traded while paused");

  // Resume: it goes on.
  await page.getByRole("button", { name: "Resume" }).click();
  await page.locator(".run-facts .pill", { hasText: "Trading" }).waitFor(WAIT);
  await page.waitForFunction(
    (n) => {
      const card = [...document.querySelectorAll(".kpi")].find((k) => k.querySelector("dt")?.textContent?.includes("Candles processed"));
      return Number(card?.querySelector("dd")?.textContent?.replace(/[^0-9]/g, "")) > n;
    },
    paused,
    WAIT,
  );

  // Stop: asks first, says the open position is closed at the last price.
  const open = (await page.locator(".position-facts").count()) > 0;
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  const confirm = page.getByRole("alertdialog", { name: "Stop paper trading?" });
  await confirm.waitFor(WAIT);
  if (open) assert.match(await confirm.innerText(), /closed at the last price/);
  await confirm.getByRole("button", { name: "Stop paper trading" }).click();
  await page.locator(".run-facts .pill", { hasText: "Stopped" }).waitFor(WAIT);
  const note = page.getByRole("note", { name: "Why it stopped" });
  await note.waitFor(WAIT);
  const noteText = await note.innerText();
  assert.match(noteText, open ? /closed at the last price/ : /No position was open/, noteText);
  assert.equal(await page.getByRole("button", { name: "Pause" }).count(), 0);
  assert.ok(await page.evaluate(() => window.__sameDocument === true), "everything arrived without a reload");
  if (open) await ledger.locator("tbody tr", { hasText: /Closed long/ }).first().waitFor(WAIT);

  await screenshot(page, "paper-dashboard");
  let violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));

  // The list shows the run, stopped, with a link to its dashboard.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Paper trading" }).click();
  const list = page.getByRole("region", { name: "Paper runs" });
  await list.waitFor(WAIT);
  const row = await list.locator("tbody tr").first().innerText();
  assert.match(row, /SMA crossover/);
  assert.match(row, /BTC-USD/);
  assert.match(row, /Replay/);
  assert.match(row, /Stopped/);
  await screenshot(page, "paper-list");
  violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  assert.deepEqual(errors, []);
  await context.close();

  // A phone: read-only friendly, nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  const mobileErrors = [];
  mobile.on("pageerror", (e) => mobileErrors.push(e));
  await signIn(mobile, server.url);
  await mobile.goto(dashboardUrl);
  await mobile.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  await mobile.getByRole("region", { name: "Ledger entries" }).waitFor(WAIT);
  await mobile.locator(".chart-canvas canvas").first().waitFor(WAIT);
  await noOverflow(mobile, "the dashboard");
  const rows = await mobile.evaluate(() => new Set([...document.querySelectorAll(".main-nav li")].map((li) => li.offsetTop)).size);
  assert.equal(rows, 1, "the main links fit one row at 390 px");
  await screenshot(mobile, "paper-dashboard-phone");
  violations = await axe(mobile);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  await mobile.goto(`${server.url}/paper`);
  await mobile.getByRole("region", { name: "Paper runs" }).waitFor(WAIT);
  await noOverflow(mobile, "the list");
  await screenshot(mobile, "paper-list-phone");
  assert.deepEqual(mobileErrors, []);
  await phone.close();
});

test("without the event stream the dashboard polls every 2 s", { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  // A proxy that refuses the stream.
  await page.route(/\/api\/v1\/paper-trades\/[^/]+\/events/, (route) => route.fulfill({ status: 503, body: "" }));
  await signIn(page, server.url);
  await page.goto(`${server.url}/`);
  // The strategy the first test made from the template, replayed on the demo BTC-USD daily data.
  const id = await page.evaluate(async () => {
    const auth = { Authorization: `Bearer ${sessionStorage.getItem("bb.token")}`, "Content-Type": "application/json" };
    const mine = await (await fetch("/api/v1/strategies?mine=true", { headers: auth })).json();
    const strategy = mine.items.find((s) => s.title === "SMA crossover");
    const datasets = await (await fetch("/api/v1/market/datasets", { headers: auth })).json();
    const btc = datasets.items.find((d) => d.symbol === "BTC-USD" && d.timeframe === "1d");
    const r = await fetch("/api/v1/paper-trades", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ strategy_id: strategy.id, dataset_id: btc.id, replay_from: "2021-06-01" }),
    });
    if (r.status !== 201) throw new Error(`start answered ${r.status}: ${await r.text()}`);
    return (await r.json()).id;
  });
  await page.goto(`${server.url}/paper/${id}`);
  await page.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  await page.getByText("updating every 2 seconds").waitFor(WAIT);
  const first = await kpi(page, "Candles processed");
  await page.waitForFunction(
    (n) => {
      const card = [...document.querySelectorAll(".kpi")].find((k) => k.querySelector("dt")?.textContent?.includes("Candles processed"));
      return Number(card?.querySelector("dd")?.textContent?.replace(/[^0-9]/g, "")) >= n + 3;
    },
    first,
    WAIT,
  );
  await page.getByRole("checkbox", { name: "Show every candle" }).check();
  await page.getByRole("region", { name: "Ledger entries" }).locator("tbody tr", { hasText: "Candle" }).first().waitFor(WAIT);
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await page.getByRole("alertdialog", { name: "Stop paper trading?" }).getByRole("button", { name: "Stop paper trading" }).click();
  await page.getByRole("note", { name: "Why it stopped" }).waitFor(WAIT);
  assert.deepEqual(errors, []);
  await context.close();
});
