// Templates and compliance review, the seed's sequence end to end with the demo accounts:
// the educator (demo, premium) has a backtest and a robustness check of the SMA crossover
// (made through the API: BTC-USD 1d, costs on, 46 trades; the walk-forward passes), publishes
// it from the strategy page (the checklist passes, a disclosure, "Submitted for review"); the
// reviewer is notified, opens the queue, reads the evidence and approves with a reason; a
// student finds it in the gallery, clones it behind the disclosure and lands on the copy, and
// the clone count shows 1; the reviewer takes it down with a reason, it leaves the gallery
// and the educator's notifications and "My templates" show the reason. Axe and screenshots at
// 1440 and 390 px on the gallery and the review queue.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, axe, signIn, DEMO } from "./harness.mjs";

const WAIT = { timeout: 60_000 };
const REVIEWER = { email: "reviewer@blockbuilders.local", password: "demo-password-123" };
const STUDENT = { email: `student-${Date.now()}@example.com`, password: "violet harbour stamps quickly" };
const DISCLOSURE =
  "Educational example by Demo trader. Past results do not promise future ones; crypto can lose most of its value.";

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

/** A JSON call to the API from the test, with a token. */
async function call(token, method, path, body) {
  const r = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function login(creds) {
  const r = await fetch(`${server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(creds),
  });
  assert.equal(r.status, 200, `login of ${creds.email}`);
  return (await r.json()).access_token;
}

/** Polls a run until it has finished (at most a minute, every 250 ms). */
async function finished(token, path) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await call(token, "GET", path);
    assert.equal(r.status, 200, `${path} answered ${r.status}`);
    if (["succeeded", "failed", "cancelled"].includes(r.body.status)) return r.body;
    assert.ok(Date.now() < deadline, `${path} did not finish within a minute`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

function axeFindings(violations) {
  return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function checkAxe(page, what) {
  assert.deepEqual(axeFindings(await axe(page)), [], `axe on ${what}`);
}

/** Axe and a screenshot at 1440 px, then at 390 px (nothing wider than the screen), then back. */
async function bothWidths(page, name, ready) {
  await ready();
  await checkAxe(page, `${name} at 1440 px`);
  await screenshot(page, `${name}-1440`);
  await page.setViewportSize({ width: 390, height: 844 });
  await ready();
  await checkAxe(page, `${name} at 390 px`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${name} scrolls sideways by ${overflow}px at 390 px`);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1440, height: 900 });
}

test("publish, review, gallery, clone and takedown of a template", async () => {
  // The evidence the gates need, for version 1 of the SMA crossover.
  const demoToken = await login(DEMO);
  const mine = await call(demoToken, "GET", "/strategies?mine=true&limit=100");
  const strategy = mine.body.items.find((s) => s.title === "SMA crossover");
  assert.ok(strategy, "the demo account owns the SMA crossover");
  const bt = await call(demoToken, "POST", "/backtests", { strategy_id: strategy.id, symbol: "BTC-USD", timeframe: "1d" });
  assert.equal(bt.status, 202, JSON.stringify(bt.body));
  const rb = await call(demoToken, "POST", "/robustness", {
    strategy_id: strategy.id,
    symbol: "BTC-USD",
    timeframe: "1d",
    params: ["fast.period=5..20:5", "slow.period=30..90:20"],
    where: ["fast.period<slow.period"],
    windows: 3,
    min_trades: 2,
    monte_carlo_runs: 200,
    seed: 7,
    pbo_blocks: 8,
  });
  assert.equal(rb.status, 202, JSON.stringify(rb.body));
  assert.equal((await finished(demoToken, `/backtests/${bt.body.id}`)).status, "succeeded");
  assert.equal((await finished(demoToken, `/robustness/${rb.body.id}`)).status, "succeeded");

  const errors = [];
  const open = async (creds) => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`${creds.email}: ${e.message}`));
    await signIn(page, server.url, creds);
    return { context, page };
  };

  // 1. The educator publishes from the strategy page.
  const educator = await open(DEMO);
  let page = educator.page;
  await page.goto(`${server.url}/strategies/${strategy.id}`);
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Templates" }).waitFor(WAIT);
  assert.equal(await nav.getByRole("link", { name: "Review" }).count(), 0, "no review queue for a non-reviewer");
  await page.getByRole("button", { name: "Publish as template" }).click();
  const publish = page.getByRole("dialog", { name: "Publish as template: SMA crossover" });
  await publish.waitFor(WAIT);
  const checks = publish.getByRole("list", { name: "Checks for version 1" });
  await checks.waitFor(WAIT);
  assert.equal(await checks.getByRole("listitem").count(), 4, "four machine gates");
  assert.equal(await checks.getByText(/^\W*Passed$/).count(), 4, "every gate passed, in words");
  await checks.getByText("It closed 46 trades; at least 30 are needed.").waitFor();
  await publish.getByText("Every check passed.").waitFor();
  // The disclosure is required.
  await publish.getByRole("button", { name: "Submit for review" }).click();
  await publish.getByText(/Write a disclosure of at least 20 characters/).waitFor();
  await publish.getByLabel("Risk disclosure (required)").fill(DISCLOSURE);
  await publish.getByLabel("Tags").fill("starter, trend");
  await screenshot(page, "templates-publish-1440");
  await publish.getByRole("button", { name: "Submit for review" }).click();
  await publish.getByText("Submitted for review.").waitFor(WAIT);
  await publish.getByRole("link", { name: "My templates" }).click();
  await page.getByRole("heading", { level: 1, name: "My templates" }).waitFor(WAIT);
  assert.equal(await page.getByTestId("template-status").first().innerText(), "Pending review");

  // 2. The reviewer is notified, opens the queue, reads the evidence and approves.
  const reviewer = await open(REVIEWER);
  page = reviewer.page;
  await page.goto(`${server.url}/notifications`);
  await page.getByRole("heading", { name: 'Review "SMA crossover" for the public gallery' }).waitFor(WAIT);
  await page.getByRole("link", { name: /^Open the review queue: / }).first().click();
  await page.getByRole("heading", { level: 1, name: "Review queue" }).waitFor(WAIT);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Review" }).waitFor();
  const event = page.getByTestId("compliance-event").filter({ hasText: "SMA crossover" });
  await event.waitFor(WAIT);
  await event.getByText("by Demo trader · version 1", { exact: false }).waitFor();
  const evidence = event.getByRole("list", { name: "Machine checks of SMA crossover" });
  assert.equal(await evidence.getByText(/^\W*Passed$/).count(), 5, "five gates with their evidence, the disclosure too");
  await event.getByText(DISCLOSURE).waitFor();
  await event.getByRole("region", { name: "Verified backtest of SMA crossover" }).getByText("Out of sample").waitFor();
  await bothWidths(page, "templates-review", () => event.getByRole("button", { name: "Approve" }).waitFor(WAIT));
  // A rejection needs a reason, on its field.
  await event.getByRole("button", { name: "Reject" }).click();
  await event.getByText("Say why you reject it, in words the educator can act on.").waitFor();
  assert.equal(await event.getByLabel("Reason").getAttribute("aria-invalid"), "true");
  await event.getByLabel("Reason").fill("Clear disclosure and evidence; fine for the gallery.");
  await event.getByRole("button", { name: "Approve" }).click();
  await page.getByText("Approved “SMA crossover”.").waitFor(WAIT);
  await page.getByText("Nothing waits for a decision.").waitFor(WAIT);
  await page.getByRole("link", { name: "Approved", exact: true }).click();
  await page.getByText("“Clear disclosure and evidence; fine for the gallery.”", { exact: false }).waitFor(WAIT);

  // 3. A student finds it in the gallery and clones it behind the disclosure.
  const studentPage = await (async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const p = await context.newPage();
    p.on("pageerror", (e) => errors.push(`student: ${e.message}`));
    const r = await fetch(`${server.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(STUDENT),
    });
    assert.equal(r.status, 202, "the student registers");
    await signIn(p, server.url, STUDENT);
    return { context, page: p };
  })();
  page = studentPage.page;
  await page.goto(`${server.url}/`);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
  await page.getByRole("heading", { level: 1, name: "Templates" }).waitFor(WAIT);
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByText(/^By Demo trader · version 1/).waitFor();
  assert.equal(await card.getByTestId("clone-count").innerText(), "0 clones");
  const verified = card.getByRole("region", { name: "Verified backtest of SMA crossover" });
  for (const label of ["Total return", "Yearly growth (CAGR)", "Worst drop (max drawdown)", "Sharpe ratio", "Trades", "Costs", "Data", "Out of sample"]) {
    await verified.getByText(label, { exact: true }).waitFor();
  }
  await verified.getByText("0.10% fee and 5.0 bps slippage per fill").waitFor();
  await verified.getByText(/^\W*Pass$/).waitFor();
  assert.equal(await card.getByRole("button", { name: "Take down SMA crossover" }).count(), 0, "no takedown for a student");
  await card.getByText("Description and disclosure").click();
  await card.getByText(DISCLOSURE).waitFor();
  await bothWidths(page, "templates-gallery", () => card.getByRole("button", { name: "Clone SMA crossover" }).waitFor(WAIT));
  // Search and a tag filter.
  await page.getByLabel("Search").fill("no such template");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByText("No published template matches.").waitFor(WAIT);
  await page.getByRole("button", { name: "Show all templates" }).click();
  await card.getByRole("button", { name: "Show templates tagged trend" }).click();
  await page.getByText("templates tagged “trend”", { exact: false }).waitFor(WAIT);
  await card.waitFor(WAIT);
  await page.getByLabel("Sort by").selectOption("clones");
  await card.waitFor(WAIT);

  await card.getByRole("button", { name: "Clone SMA crossover" }).click();
  const clone = page.getByRole("dialog", { name: "Clone “SMA crossover”" });
  await clone.getByText(DISCLOSURE).waitFor(WAIT);
  await clone.getByRole("button", { name: "Clone into my strategies" }).click();
  await clone.getByText(/Tick “I have read this” first/).waitFor();
  await clone.getByLabel("I have read this").check();
  await screenshot(page, "templates-clone-1440");
  await clone.getByRole("button", { name: "Clone into my strategies" }).click();
  await page.waitForURL((u) => /^\/strategies\/[\w-]+$/.test(u.pathname) && !u.pathname.endsWith(strategy.id), WAIT);
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
  await page.getByRole("button", { name: "Run backtest" }).waitFor(WAIT);
  await page.goBack();
  await page.getByRole("heading", { level: 1, name: "Templates" }).waitFor(WAIT);
  await page.getByRole("article", { name: "SMA crossover" }).getByTestId("clone-count").getByText("1 clone", { exact: true }).waitFor(WAIT);

  // 4. The reviewer takes it down from the gallery; it leaves the gallery.
  page = reviewer.page;
  await page.goto(`${server.url}/templates`);
  const reviewerCard = page.getByRole("article", { name: "SMA crossover" });
  await reviewerCard.getByRole("button", { name: "Take down SMA crossover" }).click();
  const takedown = page.getByRole("dialog", { name: "Take down “SMA crossover”" });
  await takedown.getByRole("button", { name: "Take down", exact: true }).click();
  await takedown.getByText("Say why, in words the educator can act on.").waitFor();
  await takedown.getByLabel("Reason (required)").fill("The card's period ends in 2022; republish with recent data.");
  await takedown.getByRole("button", { name: "Take down", exact: true }).click();
  await page.getByText("“SMA crossover” was taken down.").waitFor(WAIT);
  await page.getByText("No template is published yet.", { exact: false }).waitFor(WAIT);
  // The student's gallery (still filtered by the tag, sorted by clones) no longer has it.
  await studentPage.page.reload();
  await studentPage.page.getByText("No published template matches.", { exact: false }).waitFor(WAIT);
  assert.equal(await studentPage.page.getByRole("article", { name: "SMA crossover" }).count(), 0);

  // 5. The educator is told why.
  page = educator.page;
  await page.goto(`${server.url}/notifications`);
  await page.getByRole("heading", { name: '"SMA crossover" was taken down' }).waitFor(WAIT);
  await page.getByText(/The reviewer wrote: "The card's period ends in 2022; republish with recent data\."/).waitFor();
  await page.getByRole("link", { name: /^Open my templates: "SMA crossover" was taken down/ }).click();
  await page.getByRole("heading", { level: 1, name: "My templates" }).waitFor(WAIT);
  assert.equal(await page.getByTestId("template-status").first().innerText(), "Taken down");
  await page.getByText("“The card's period ends in 2022; republish with recent data.”", { exact: false }).waitFor();
  await checkAxe(page, "My templates");
  await screenshot(page, "templates-mine-1440");

  assert.deepEqual(errors, [], "no page errors");
  await educator.context.close();
  await reviewer.context.close();
  await studentPage.context.close();
});
