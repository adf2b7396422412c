// Cohorts, the cohort journey: an educator (a new account; the educator plan is set in
// the test's own SQLite database, as no admin exists in the demo data to PATCH it) creates a
// cohort, has a backtest with costs of the SMA crossover (through the API), publishes it to the
// cohort from the publish dialog and copies the invite code; a student joins with the invite
// link, sees the cohort-only template and clones it behind the disclosure; an outsider does not
// find it in the gallery and gets "Cohort not found" at the cohort's address; the educator's
// dashboard shows 1 member and 1 clone; the student leaves. The demo account (premium) has no
// "New cohort" form and the API refuses it with `quota_exceeded`. Axe and screenshots at 1440
// and 390 px on the cohort pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { startServer, launchBrowser, screenshot, axe, signIn, DEMO, repoDir, binPath } from "./harness.mjs";
import { join as joinPath } from "node:path";

const WAIT = { timeout: 60_000 };
const stamp = Date.now();
const PASSWORD = "violet harbour stamps quickly";
const EDUCATOR = { email: `teacher-${stamp}@example.com`, password: PASSWORD, display_name: "Ms Teacher" };
const STUDENT = { email: `pupil-${stamp}@example.com`, password: PASSWORD, display_name: "Sam Pupil" };
const OUTSIDER = { email: `outsider-${stamp}@example.com`, password: PASSWORD, display_name: "Olly Outsider" };
const COHORT = "Spring trading class";
const DISCLOSURE =
  "Classroom example by Ms Teacher. Past results do not promise future ones; crypto can lose most of its value.";

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
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function register(who) {
  const r = await call(null, "POST", "/auth/register", who);
  assert.equal(r.status, 202, `${who.email} registers: ${JSON.stringify(r.body)}`);
}

async function login({ email, password }) {
  const r = await call(null, "POST", "/auth/login", { email, password });
  assert.equal(r.status, 200, `login of ${email}`);
  return r.body.access_token;
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

test("invite, join, a cohort-only template, an outsider, the dashboard", async () => {
  // The educator: a new account put on the educator plan by an operator's command (plan
  // changes are an admin's), with the SMA crossover and a backtest with costs.
  for (const who of [EDUCATOR, STUDENT, OUTSIDER]) await register(who);
  execFileSync(binPath, ["users", "set", EDUCATOR.email, "--plan", "educator", "--database-url", `sqlite://${server.dbPath}`]);
  const teacherToken = await login(EDUCATOR);
  const usage = await call(teacherToken, "GET", "/plan-usage");
  assert.equal(usage.body.plan, "educator");
  assert.ok(usage.body.max_cohorts > 0, "the educator plan runs cohorts");
  const graph = JSON.parse(readFileSync(joinPath(repoDir, "strategies/sma_crossover.json"), "utf8"));
  const created = await call(teacherToken, "POST", "/strategies", { title: "SMA crossover", description: graph.description, graph });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const strategyId = created.body.id ?? created.body.strategy?.id;
  assert.ok(strategyId, `a strategy id in ${JSON.stringify(created.body)}`);
  const bt = await call(teacherToken, "POST", "/backtests", { strategy_id: strategyId, symbol: "BTC-USD", timeframe: "1d" });
  assert.equal(bt.status, 202, JSON.stringify(bt.body));
  assert.equal((await finished(teacherToken, `/backtests/${bt.body.id}`)).status, "succeeded");

  const errors = [];
  const open = async (creds, name) => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`${name}: ${e.message}`));
    await signIn(page, server.url, { email: creds.email, password: creds.password });
    return { context, page };
  };

  // 1. The educator creates a cohort from the Cohorts page.
  const educator = await open(EDUCATOR, "educator");
  let page = educator.page;
  await page.goto(`${server.url}/`);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cohorts" }).click();
  await page.getByRole("heading", { level: 1, name: "Cohorts" }).waitFor(WAIT);
  await page.getByText("You are in no cohort yet.", { exact: false }).waitFor(WAIT);
  const newCohort = page.getByRole("region", { name: "New cohort" });
  await newCohort.waitFor(WAIT);
  await newCohort.getByRole("button", { name: "Create cohort" }).click();
  await newCohort.getByText("Give the cohort a name", { exact: false }).waitFor();
  assert.equal(await newCohort.getByLabel("Name").getAttribute("aria-invalid"), "true");
  await newCohort.getByLabel("Name").fill(COHORT);
  await newCohort.getByLabel("Description").fill("Trend following, weeks 1 to 6.");
  await newCohort.getByRole("button", { name: "Create cohort" }).click();
  await page.getByRole("heading", { level: 1, name: COHORT }).waitFor(WAIT);
  const cohortId = new URL(page.url()).pathname.split("/").pop();
  const invite = page.getByRole("region", { name: "Invite students" });
  const code = (await invite.getByTestId("invite-code").innerText()).trim();
  assert.ok(code.length >= 4, `an invite code: ${code}`);
  await invite.getByRole("button", { name: "Copy code" }).click();
  await invite.getByText("The invite code is copied.").waitFor(WAIT);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code, "the code is on the clipboard");
  await invite.getByText(`/cohorts/join/${code}`, { exact: false }).waitFor();
  await page.getByText("No student has joined yet.", { exact: false }).waitFor();
  await page.getByText("Only totals and medians", { exact: false }).waitFor(WAIT);

  // "New code" warns first; cancelling keeps the code.
  await invite.getByRole("button", { name: "New code" }).click();
  const rotate = page.getByRole("alertdialog", { name: "Make a new invite code?" });
  await rotate.getByText("stop working at once", { exact: false }).waitFor(WAIT);
  await rotate.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await invite.getByTestId("invite-code").innerText()).trim(), code);

  // 2. It publishes the strategy to the cohort from the publish dialog.
  await page.goto(`${server.url}/strategies/${strategyId}`);
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
  await page.getByRole("button", { name: "Publish as template" }).click();
  const publish = page.getByRole("dialog", { name: "Publish as template: SMA crossover" });
  await publish.waitFor(WAIT);
  await publish.getByLabel("Public gallery (reviewed)", { exact: false }).waitFor(WAIT);
  await publish.getByLabel(`Cohort: ${COHORT}`, { exact: false }).check();
  const checks = publish.getByRole("list", { name: "Checks for version 1" });
  await checks.waitFor(WAIT);
  await checks.getByText("Required", { exact: true }).first().waitFor(WAIT);
  await checks.getByText("Not required for a cohort", { exact: false }).first().waitFor();
  await publish.getByText("Cohort templates are published to the members at once.", { exact: false }).waitFor();
  await publish.getByLabel("Risk disclosure (required)").fill(DISCLOSURE);
  await publish.getByLabel("Tags").fill("class, trend");
  await screenshot(page, "cohorts-publish-1440");
  await publish.getByRole("button", { name: "Publish to cohort" }).click();
  await publish.getByText(`Published to “${COHORT}”.`).waitFor(WAIT);
  await publish.getByRole("link", { name: "Open the cohort" }).click();
  await page.getByRole("heading", { level: 1, name: COHORT }).waitFor(WAIT);
  await page.getByRole("row", { name: /SMA crossover/ }).waitFor(WAIT);

  // 3. The student: a wrong code is refused on the field; the invite link joins after a click.
  const student = await open(STUDENT, "student");
  page = student.page;
  await page.goto(`${server.url}/cohorts`);
  await page.getByRole("heading", { level: 1, name: "Cohorts" }).waitFor(WAIT);
  assert.equal(await page.getByRole("region", { name: "New cohort" }).count(), 0, "no New cohort on the free plan");
  const join = page.getByRole("region", { name: "Join a cohort" });
  await join.getByLabel("Invite code").fill("ZZZZ-0000-WRONG");
  await join.getByRole("button", { name: "Join cohort" }).click();
  await join.locator(".field-error").waitFor(WAIT);
  assert.equal(await join.getByLabel("Invite code").getAttribute("aria-invalid"), "true");
  await page.goto(`${server.url}/cohorts/join/${code}`);
  await join.getByText("You were invited to a cohort.", { exact: false }).waitFor(WAIT);
  assert.equal(await join.getByLabel("Invite code").inputValue(), code, "the link fills the code in");
  await bothWidths(page, "cohorts-join", () => join.getByRole("button", { name: "Join cohort" }).waitFor(WAIT));
  await join.getByRole("button", { name: "Join cohort" }).click();
  await page.getByRole("heading", { level: 1, name: COHORT }).waitFor(WAIT);
  assert.equal(new URL(page.url()).pathname, `/cohorts/${cohortId}`);
  const card = page.getByRole("article", { name: "SMA crossover" });
  await card.waitFor(WAIT);
  await card.getByText(/^By Ms Teacher · version 1/).waitFor();
  await card.getByRole("list", { name: "Tags of SMA crossover" }).getByText("trend").waitFor();
  assert.equal(await page.getByRole("region", { name: "Invite students" }).count(), 0, "no invite for a member");
  assert.equal(await page.getByRole("region", { name: "Dashboard" }).count(), 0, "no dashboard for a member");
  await bothWidths(page, "cohorts-member", () => card.getByRole("button", { name: "Clone SMA crossover" }).waitFor(WAIT));
  await card.getByRole("button", { name: "Clone SMA crossover" }).click();
  const clone = page.getByRole("dialog", { name: "Clone “SMA crossover”" });
  await clone.getByText(DISCLOSURE).waitFor(WAIT);
  await clone.getByLabel("I have read this").check();
  await clone.getByRole("button", { name: "Clone into my strategies" }).click();
  await page.waitForURL((u) => /^\/strategies\/[\w-]+$/.test(u.pathname) && !u.pathname.endsWith(strategyId), WAIT);
  await page.getByRole("heading", { level: 1, name: "SMA crossover" }).waitFor(WAIT);
  // The student backtests the clone (through the API): the dashboard counts it, in totals.
  const cloneId = new URL(page.url()).pathname.split("/").pop();
  const studentToken = await login(STUDENT);
  const sbt = await call(studentToken, "POST", "/backtests", { strategy_id: cloneId, symbol: "BTC-USD", timeframe: "1d" });
  assert.equal(sbt.status, 202, JSON.stringify(sbt.body));
  assert.equal((await finished(studentToken, `/backtests/${sbt.body.id}`)).status, "succeeded");
  await page.goto(`${server.url}/cohorts`);
  await page.getByRole("article", { name: COHORT }).getByText("You are a member").waitFor(WAIT);
  await bothWidths(page, "cohorts-list", () => page.getByRole("article", { name: COHORT }).waitFor(WAIT));

  // 4. An outsider: not in the gallery, "Cohort not found" at its address.
  const outsider = await open(OUTSIDER, "outsider");
  page = outsider.page;
  await page.goto(`${server.url}/templates`);
  await page.getByRole("heading", { level: 1, name: "Templates" }).waitFor(WAIT);
  await page.getByText("No template is published yet.", { exact: false }).waitFor(WAIT);
  assert.equal(await page.getByRole("article", { name: "SMA crossover" }).count(), 0, "not in the public gallery");
  await page.goto(`${server.url}/cohorts/${cohortId}`);
  await page.getByRole("heading", { level: 1, name: "Cohort not found" }).waitFor(WAIT);
  assert.equal(await page.getByText("SMA crossover").count(), 0);
  await bothWidths(page, "cohorts-not-found", () => page.getByRole("link", { name: "Cohorts", exact: true }).first().waitFor(WAIT));
  const outsiderToken = await login(OUTSIDER);
  assert.equal((await call(outsiderToken, "GET", `/cohorts/${cohortId}/templates`)).status, 404);

  // 5. The educator's dashboard: 1 member, 1 clone; the member is listed with "Remove".
  page = educator.page;
  await page.reload();
  await page.getByRole("heading", { level: 1, name: COHORT }).waitFor(WAIT);
  const dashboard = page.getByRole("region", { name: "Dashboard" });
  await dashboard.getByTestId("dashboard-members").getByText("1 member", { exact: true }).waitFor(WAIT);
  const row = dashboard.getByRole("row", { name: /SMA crossover/ });
  await row.waitFor(WAIT);
  const cells = (await row.locator("td").allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(cells.slice(0, 3), ["1", "1", "1"], "one clone, one member who tested, one backtest");
  assert.match(cells[3], /^[+−-]?[\d,]+\.\d%$/, `a median return: ${cells[3]}`);
  assert.equal(cells[5], /^-/.test(cells[3]) || cells[3] === "0.0%" ? "0%" : "100%", "the share of profitable backtests");
  const members = page.getByRole("region", { name: /^Members/ });
  await members.getByText(STUDENT.display_name).waitFor(WAIT);
  await members.getByRole("button", { name: `Remove ${STUDENT.display_name}` }).waitFor();
  await bothWidths(page, "cohorts-educator", () => dashboard.getByRole("row", { name: /SMA crossover/ }).waitFor(WAIT));

  // A new code (after the warning): the old one stops working.
  await page.getByRole("region", { name: "Invite students" }).getByRole("button", { name: "New code" }).click();
  await page.getByRole("alertdialog", { name: "Make a new invite code?" }).getByRole("button", { name: "Make a new code" }).click();
  await page.getByText("A new code replaces the old one.").waitFor(WAIT);
  const newCode = (await page.getByTestId("invite-code").innerText()).trim();
  assert.notEqual(newCode, code, "a new code");
  assert.equal((await call(outsiderToken, "POST", "/cohorts/join", { code })).status, 404, "the old code stops working");
  // The outsider joins with the new code and the educator removes them.
  assert.equal((await call(outsiderToken, "POST", "/cohorts/join", { code: newCode })).status, 200);
  await page.reload();
  await members.getByRole("button", { name: `Remove ${OUTSIDER.display_name}` }).click();
  await page.getByRole("alertdialog", { name: `Remove ${OUTSIDER.display_name}?` }).getByRole("button", { name: "Remove" }).click();
  await members.getByRole("heading", { name: "Members (1)" }).waitFor(WAIT);
  assert.equal(await members.getByText(OUTSIDER.display_name).count(), 0, "the outsider is removed");
  assert.equal((await call(outsiderToken, "GET", `/cohorts/${cohortId}`)).status, 404);

  // 6. The student leaves (after a confirmation).
  page = student.page;
  await page.goto(`${server.url}/cohorts/${cohortId}`);
  await page.getByRole("button", { name: "Leave cohort" }).click();
  const leave = page.getByRole("alertdialog", { name: `Leave “${COHORT}”?` });
  await leave.getByRole("button", { name: "Leave cohort" }).click();
  await page.getByRole("heading", { level: 1, name: "Cohorts" }).waitFor(WAIT);
  await page.getByText("You are in no cohort yet.", { exact: false }).waitFor(WAIT);

  // 7. The demo account (premium) cannot run cohorts.
  const demo = await open(DEMO, "demo");
  page = demo.page;
  await page.goto(`${server.url}/cohorts`);
  await page.getByText("Running your own cohorts comes with the Educator plan.", { exact: false }).waitFor(WAIT);
  assert.equal(await page.getByRole("region", { name: "New cohort" }).count(), 0);
  const refused = await call(await login(DEMO), "POST", "/cohorts", { name: "Not allowed" });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error?.code ?? refused.body.code, "quota_exceeded");

  assert.deepEqual(errors, [], "no page errors");
  for (const s of [educator, student, outsider, demo]) await s.context.close();
});
