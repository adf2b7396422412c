// (d) Accessibility: axe-core (WCAG 2.0/2.1 A and AA) on every main page, with no serious or
// critical violations, at desktop size and on a phone (390×844), plus phone screenshots of the
// results and notifications.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
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

const nav = (page, name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", typeof name === "string" ? { name, exact: true } : { name });

function describe(violations) {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(" ")} ${n.failureSummary}`).join("\n")}`)
    .join("\n");
}

test("the main pages have no serious or critical accessibility violations", async () => {
  const failures = [];
  const check = async (page, name) => {
    const violations = await axe(page);
    if (violations.length) failures.push(`${name}:\n${describe(violations)}`);
  };

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();

  // Log in and sign up.
  await page.goto(`${server.url}/login`);
  await page.getByRole("heading", { level: 1, name: "Log in" }).waitFor();
  await check(page, "login");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").waitFor();
  await check(page, "login with an error");
  await page.getByRole("link", { name: "Create a free account" }).click();
  await page.getByRole("heading", { level: 1, name: "Create your account" }).waitFor();
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("Use at least 12 characters.").waitFor();
  await check(page, "sign up with errors");
  await page.getByLabel("Your name (optional)").fill("Grace");
  await page.getByLabel("Email").fill(`grace-${Date.now()}@example.com`);
  await page.getByLabel("Password").fill("violet harbour stamps quickly");
  await page.getByRole("button", { name: "Sign up" }).click();

  // Home, a template, the run dialog.
  await page.getByRole("heading", { level: 1, name: "Welcome, Grace" }).waitFor();
  await page.getByRole("article", { name: "RSI mean reversion" }).waitFor();
  await check(page, "home");
  const card = page.getByRole("article", { name: "RSI mean reversion" });
  await card.getByRole("button", { name: "Use this template" }).click();
  await card.getByRole("button", { name: "Run backtest" }).click();
  const dialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await dialog.getByLabel("Fee per trade (%)").waitFor();
  await check(page, "run dialog");
  await dialog.getByLabel("Fee per trade (%)").fill("-1");
  await dialog.getByRole("button", { name: "Run backtest" }).click();
  await dialog.getByText("Enter the fee as a percentage").waitFor();
  assert.equal(await dialog.getByLabel("Fee per trade (%)").getAttribute("aria-invalid"), "true");
  await check(page, "run dialog with an error");
  await dialog.getByLabel("Fee per trade (%)").fill("0.1");
  await dialog.getByRole("button", { name: "Run backtest" }).click();

  // Results.
  await page.getByRole("heading", { level: 1, name: /^Result: RSI mean reversion/ }).waitFor();
  await page.getByRole("region", { name: "Trades" }).locator("tbody tr").first().waitFor();
  await page.locator(".chart-canvas canvas").first().waitFor();
  await check(page, "results");
  const resultsUrl = page.url();

  // The strategy page: change one parameter (a new version), run it.
  await page.getByRole("link", { name: "Change a setting" }).click();
  await page.getByRole("heading", { level: 2, name: "Settings", exact: true }).waitFor();
  await page.getByLabel("Relative strength index (RSI): Period (bars)").waitFor();
  await check(page, "strategy");
  await page.getByLabel("Relative strength index (RSI): Period (bars)").fill("10");
  await page.getByRole("button", { name: "Save as version 2" }).click();
  await page.getByText("Saved as").waitFor();
  await page.getByRole("button", { name: "Run backtest on version 2" }).click();
  await page.getByRole("dialog", { name: /^Run a backtest/ }).getByRole("button", { name: "Run backtest" }).click();
  await page.getByRole("heading", { level: 1, name: /^Result: RSI mean reversion version 2/ }).waitFor();

  // Strategies list.
  await nav(page, "Strategies").click();
  await page.getByRole("article", { name: "RSI mean reversion" }).waitFor();
  await page.getByRole("button", { name: "Show versions (2)" }).click();
  await page.getByText("Version 2", { exact: true }).waitFor();
  await check(page, "strategies");

  // History, then compare the two versions.
  await nav(page, "Backtests").click();
  await page.getByRole("heading", { level: 1, name: "Backtests" }).waitFor();
  const boxes = page.getByRole("checkbox", { name: /^Compare RSI mean reversion/ });
  await boxes.nth(1).waitFor();
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.getByText("2 runs ticked.").waitFor();
  await check(page, "history");
  await screenshot(page, "history");
  await page.getByRole("button", { name: "Compare 2 runs" }).click();
  await page.getByRole("heading", { level: 1, name: "Compare backtests" }).waitFor();
  await page.getByRole("heading", { name: "Numbers side by side" }).waitFor();
  await page.locator(".chart-canvas canvas").first().waitFor();
  await check(page, "compare");
  await screenshot(page, "compare");

  // The checklist is complete.
  await nav(page, "Home").click();
  await page.getByText("All done. Nice work!").waitFor();

  // A sweep from the strategy page, and its heatmap.
  await nav(page, "Strategies").click();
  await page.getByRole("article", { name: "RSI mean reversion" }).getByRole("link", { name: "Details, settings and sweeps" }).click();
  await page.getByRole("heading", { name: /sweep/ }).first().waitFor();
  await page.getByRole("button", { name: "Run sweep" }).click();
  await page.getByRole("heading", { level: 1, name: /^Sweep: RSI mean reversion/ }).waitFor();
  await page.getByRole("heading", { name: "Heatmap" }).waitFor();
  await check(page, "sweep");
  await screenshot(page, "sweep");

  // Notifications.
  await nav(page, /^Notifications/).click();
  await page.getByRole("heading", { level: 1, name: "Notifications" }).waitFor();
  await page.getByRole("heading", { name: /Backtest finished/ }).first().waitFor();
  await check(page, "notifications");
  await screenshot(page, "notifications");
  await page.getByRole("button", { name: "Mark all as read" }).click();
  await page.getByRole("link", { name: "Notifications", exact: true }).waitFor();

  await page.getByRole("link", { name: "Plan and upgrade" }).click();
  await page.getByRole("heading", { level: 1, name: "Your plan" }).waitFor();
  await check(page, "plan");

  // A phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(resultsUrl);
  await page.getByRole("region", { name: "Trades" }).locator("tbody tr").first().waitFor();
  await page.locator(".chart-canvas canvas").first().waitFor();
  await check(page, "results on a phone");
  await screenshot(page, "results-phone");
  await nav(page, /^Notifications/).click();
  await page.getByRole("heading", { name: /Backtest finished/ }).first().waitFor();
  await check(page, "notifications on a phone");
  await screenshot(page, "notifications-phone");
  await nav(page, "Home").click();
  await page.getByRole("article", { name: "SMA crossover" }).waitFor();
  await check(page, "home on a phone");
  await screenshot(page, "home-phone");
  // No sideways scrolling on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the home page is ${overflow}px wider than the phone`);

  await context.close();
  assert.equal(failures.length, 0, `\n${failures.join("\n\n")}`);
});

test("keyboard: the run dialog traps focus and Escape closes it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  await page.emulateMedia({ reducedMotion: "reduce" });
  await page.goto(`${server.url}/signup`);
  await page.getByLabel("Email").fill(`kay-${Date.now()}@example.com`);
  await page.getByLabel("Password").fill("violet harbour stamps quickly");
  await page.getByLabel("Password").press("Enter");
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.getByRole("button", { name: "Use this template" }).focus();
  await page.keyboard.press("Enter");
  const run = card.getByRole("button", { name: "Run backtest" });
  await run.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: /^Run a backtest/ });
  await dialog.getByLabel("Candles to test on").waitFor();
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press("Tab");
    const inside = await page.evaluate(() => !!document.activeElement?.closest("dialog"));
    assert.ok(inside, "focus stays in the dialog");
  }
  // A visible 2px focus ring.
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return `${s.outlineStyle} ${s.outlineWidth}`;
  });
  assert.equal(outline, "solid 2px");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Run backtest", "focus returns to the opener");
  await context.close();
});
