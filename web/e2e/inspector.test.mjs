// The inspector in the browser (P8): from a trade on a results page to every block's value
// on the bar whose signal opened it, with the buy action marked "Yes" there.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe } from "./harness.mjs";

const DEMO = { email: "demo@blockbuilders.local", password: "demo-password-123" };
const WAIT = { timeout: 30_000 };

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

test("a trade's Inspect button shows every block on the bar that signalled it", async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByRole("button", { name: "Run backtest" }).click();
  const dialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: SMA crossover/ }).waitFor(WAIT);
  const trades = page.getByRole("region", { name: "Trades" });
  await trades.locator("tbody tr").first().waitFor(WAIT);

  await trades.getByRole("button", { name: /^Inspect the bar/ }).first().click();
  const table = page.getByRole("region", { name: "Block values by bar" });
  await table.waitFor(WAIT);
  // The chosen bar's column is marked, and the buy action fired on it.
  const chosen = table.locator('th[aria-current="true"]');
  await chosen.waitFor(WAIT);
  const headers = await table.locator("thead th").allInnerTexts();
  const column = headers.indexOf(await chosen.innerText());
  assert.ok(column > 0, `the chosen bar is a column: ${headers}`);
  const buy = table.locator("tbody tr", { hasText: "Action: buy (enter long)" });
  const cells = await buy.locator("td").allInnerTexts();
  assert.equal(cells[column - 1], "Yes", `buy on the chosen bar: ${cells}`);
  // Every block of the strategy has a row, numbers formatted.
  for (const block of ["fast", "slow"]) {
    await table.locator("tbody th", { hasText: block }).first().waitFor();
  }
  // Moving a bar later keeps the inspector on screen and changes the chosen column.
  const before = await chosen.innerText();
  await page.getByRole("button", { name: "Later bar →" }).click();
  await page.waitForFunction(
    (prev) => document.querySelector('.inspector-table th[aria-current="true"]')?.textContent !== prev,
    before,
  );
  await screenshot(page, "inspector-results");
  const violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  assert.deepEqual(errors, []);
  await context.close();
});
