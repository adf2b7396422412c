// Paper trading a basket: a new account's SMA crossover replays ETH-BTC, LTC-BTC and XLM-BTC
// 5-minute demo candles from 2018-01-15 from one shared balance. The dialog adds and removes
// markets, explains the basket and its "most one position may cost" default, and shows the
// server's refusal of an added market on that market's field; the dashboard lists the three
// markets, counts candles live, writes each fill with its market and shows the open positions
// table and the free cash; axe finds nothing; nothing overflows at 390 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn } from "./harness.mjs";

const WAIT = { timeout: 30_000 };
// From 2018-01-15 the SMA 10/30 crosses up on XLM-BTC at the 12th 5-minute candle and on
// LTC-BTC at the 22nd (a fill at the next open), XLM-BTC closing again at the 28th: about
// 12 s of replay at one candle a second, plus the scheduler's start.
const FILL_WAIT = { timeout: 90_000 };

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

/** Chooses the 5-minute dataset of `symbol` in a market list. */
async function chooseMarket(select, symbol) {
  const value = await select.locator("option", { hasText: `${symbol} · 5-minute` }).first().getAttribute("value");
  assert.ok(value, `${symbol} is offered`);
  await select.selectOption(value);
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

async function invalid(page, field) {
  await page.waitForFunction((el) => el.getAttribute("aria-invalid") === "true", await field.elementHandle(), WAIT);
}

test("paper trading a basket of three markets: dialog, live dashboard, phone", { timeout: 300_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));

  // A new account with the SMA crossover template.
  await page.goto(`${server.url}/signup`);
  await page.getByRole("heading", { level: 1, name: "Create your account" }).waitFor(WAIT);
  const account = { email: `basket-${Date.now()}@example.com`, password: "violet harbour stamps quickly" };
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor(WAIT);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Home" }).click();
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByText("Copied to your strategies.").waitFor(WAIT);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Strategies" }).click();
  await page.getByRole("main").getByRole("link", { name: "SMA crossover" }).first().click();
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);

  // The dialog: ETH-BTC at 5 minutes, then LTC-BTC and XLM-BTC added.
  await page.getByRole("button", { name: "Paper trade", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Paper trade: SMA crossover" });
  await dialog.getByRole("button", { name: "Start paper trading" }).waitFor(WAIT);
  assert.match(await dialog.innerText(), /Add markets to make a basket\. The strategy trades every market from one shared balance, as a basket backtest does\./);
  assert.equal(await dialog.getByLabel(/^Most one position may cost/).count(), 0, "no allocation for one market");
  await chooseMarket(dialog.getByLabel("Market to trade"), "ETH-BTC");
  assert.match(await dialog.getByLabel("Timeframe").locator("option:checked").innerText(), /5-minute/);
  await dialog.getByRole("button", { name: "Add another market" }).click();
  const second = dialog.getByLabel("Market 2");
  // Only markets whose candles make 5-minute ones are offered (no daily BTC-USD), ETH-BTC not again.
  const offered = await second.locator("option").allInnerTexts();
  assert.ok(offered.every((o) => /(5|1)-minute/.test(o) && !/^ETH-BTC/.test(o)), offered.join(" | "));
  assert.ok(offered.some((o) => /^LTC-BTC/.test(o)), "LTC-BTC is offered");
  await chooseMarket(second, "LTC-BTC");
  await dialog.getByRole("button", { name: "Add another market" }).click();
  await chooseMarket(dialog.getByLabel("Market 3"), "XLM-BTC");
  // A fourth, removed again.
  await dialog.getByRole("button", { name: "Add another market" }).click();
  await dialog.getByLabel("Market 4").waitFor(WAIT);
  await dialog.getByRole("button", { name: "Remove market 4" }).click();
  await dialog.getByLabel("Market 4").waitFor({ state: "detached", ...WAIT });
  const allocation = dialog.getByLabel("Most one position may cost (% of the basket)");
  assert.match(await dialog.innerText(), /100 \/ 3 markets = 33\.33%/);
  assert.match(await dialog.innerText(), /on ETH-BTC, LTC-BTC and XLM-BTC 5-minute candles/);
  assert.equal(await dialog.getByRole("radio", { name: /^Replay/ }).isChecked(), true, "demo data replays");
  await dialog.getByLabel("Replay from").fill("2018-01-15");

  // A wrong allocation is shown on its field.
  await allocation.fill("150");
  await dialog.getByRole("button", { name: "Start paper trading" }).click();
  await invalid(page, allocation);
  await allocation.fill("");

  // The server's refusal of an added market is shown on that market's field.
  await page.route(
    /\/api\/v1\/paper-trades$/,
    (route) =>
      route.fulfill({
        status: 422,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "validation", message: "XLM-BTC has no stored candles there.", details: { field: "basket[1]" } } }),
      }),
    { times: 1 },
  );
  await dialog.getByRole("button", { name: "Start paper trading" }).click();
  await invalid(page, dialog.getByLabel("Market 3"));
  assert.match(await dialog.innerText(), /XLM-BTC has no stored candles there\./);
  await page.unroute(/\/api\/v1\/paper-trades$/);

  await screenshot(page, "paper-basket-dialog");
  await noViolations(page);
  await dialog.getByRole("button", { name: "Start paper trading" }).click();

  // The dashboard: the three markets, candles counted live, fills with their market.
  await page.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  const dashboardUrl = page.url();
  assert.match(dashboardUrl, /\/paper\/[^/]+$/);
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  assert.match(await page.locator(".run-facts").innerText(), /Basket of 3 markets: ETH-BTC, LTC-BTC and XLM-BTC · 5-minute candles/);
  await candlesAbove(page, 0);
  const before = await kpi(page, "Candles processed");
  await candlesAbove(page, before);
  const ledger = page.getByRole("region", { name: "Ledger entries" });
  const fill = ledger.locator("tbody tr", { hasText: "Fill" }).first();
  await fill.waitFor(FILL_WAIT);
  assert.match(await fill.innerText(), /Entered long (ETH|LTC|XLM)-BTC: [\d.,]+ (ETH|LTC|XLM) at [\d.,]+ BTC/);
  const positions = page.getByRole("region", { name: "Open positions" });
  await positions.locator("tbody tr").first().waitFor(FILL_WAIT);
  assert.match(await positions.locator("tbody tr").first().innerText(), /(ETH|LTC|XLM)-BTC\s+Long/);
  assert.ok((await kpi(page, "Free cash")) >= 0, "the free cash is shown");
  assert.ok(await page.evaluate(() => window.__sameDocument === true), "the fill arrived without a reload");
  assert.match(await page.locator("main").innerText(), /Most one position may cost\s+33\.33% of the basket's value/);
  await screenshot(page, "paper-basket-dashboard");
  await noViolations(page);
  assert.deepEqual(errors, []);

  // The list names the basket.
  await page.getByRole("link", { name: "Paper trading" }).first().click();
  const list = page.getByRole("region", { name: "Paper runs" });
  await list.waitFor(WAIT);
  assert.match(await list.innerText(), /ETH-BTC \+ LTC-BTC \+ XLM-BTC · 5-minute\s*\(basket of 3\)/);
  await context.close();

  // A phone: the dashboard and the basket dialog fit the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  const mobileErrors = [];
  mobile.on("pageerror", (e) => mobileErrors.push(e));
  await signIn(mobile, server.url, account);
  await mobile.goto(dashboardUrl);
  await mobile.getByRole("heading", { level: 1, name: /^Paper trading: SMA crossover/ }).waitFor(WAIT);
  await mobile.getByRole("heading", { name: "Open positions" }).waitFor(WAIT);
  await mobile.getByRole("region", { name: "Ledger entries" }).locator("tbody tr", { hasText: "Fill" }).first().waitFor(WAIT);
  await noOverflow(mobile, "the basket dashboard");
  const wide = await mobile.evaluate(() =>
    [...document.querySelectorAll(".kpi, .chart-canvas, .run-facts, .table-wrap")]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .map((el) => el.className),
  );
  assert.deepEqual(wide, [], "nothing sticks out on the right");
  await screenshot(mobile, "paper-basket-dashboard-phone");
  await noViolations(mobile);

  await mobile.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Strategies" }).click();
  await mobile.getByRole("main").getByRole("link", { name: "SMA crossover" }).first().click();
  await mobile.getByRole("button", { name: "Paper trade", exact: true }).click();
  const phoneDialog = mobile.getByRole("dialog", { name: "Paper trade: SMA crossover" });
  await chooseMarket(phoneDialog.getByLabel("Market to trade"), "ETH-BTC");
  await phoneDialog.getByRole("button", { name: "Add another market" }).click();
  await phoneDialog.getByRole("button", { name: "Add another market" }).click();
  await phoneDialog.getByLabel("Market 3").waitFor(WAIT);
  await noOverflow(mobile, "the basket dialog");
  const wider = await phoneDialog.evaluate((d) =>
    [...d.querySelectorAll("fieldset, select, input, button")].filter((el) => el.getBoundingClientRect().right > d.getBoundingClientRect().right).length,
  );
  assert.equal(wider, 0, "no field of the dialog is wider than the dialog at 390 px");
  await screenshot(mobile, "paper-basket-dialog-phone");
  await noViolations(mobile);
  assert.deepEqual(mobileErrors, []);
  await phone.close();
});
