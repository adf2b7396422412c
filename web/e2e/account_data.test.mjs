// "Your data" on the plan & account page. A new user with a strategy downloads the archive of
// their account (a ZIP under the server's file name holding the strategy and the manifest); a
// second download within the minute is refused with the wait. Then they delete the account
// through the dialog: the final button stays disabled until DELETE is typed, a wrong password is
// refused on the password field, the right one deletes it, the login page says so and the old
// credentials no longer sign in. An admin (two-factor on) deletes another user from the audit
// log on the review page (which names people by their email, then "deleted user"): a reason
// naming the user is refused on its field. Axe at 1440 and 390 px on the section, the dialogs
// and the audit log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, screenshot, signIn, signInWithCode, enableTwoFactor, totp, binPath, repoDir, callApi, assertNoAxeViolations } from "./harness.mjs";

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

/** A JSON call to this file's server. */
const call = (token, method, path, body) => callApi(server.url, token, method, path, body);
const checkAxe = assertNoAxeViolations;

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

test("download my data, then delete my account", async () => {
  const creds = { email: `leaver-${Date.now()}@example.com`, password: "amber lanterns drift slowly" };
  assert.equal((await call(null, "POST", "/auth/register", { ...creds, display_name: "Lee" })).status, 202);
  const token = (await call(null, "POST", "/auth/login", creds)).body.access_token;
  const graph = JSON.parse(readFileSync(join(repoDir, "strategies/sma_crossover.json"), "utf8"));
  const created = await call(token, "POST", "/strategies", { title: "My leaving strategy", description: graph.description, graph });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await signIn(page, server.url, creds);
    await page.goto(`${server.url}/plan`);
    const section = page.getByRole("region", { name: "Your data" });
    await section.waitFor(WAIT);
    await section.getByText("Strategies → Import a strategy").waitFor(WAIT);

    // The archive, under the server's file name.
    const button = section.getByRole("button", { name: "Download my data" });
    const [download] = await Promise.all([page.waitForEvent("download", WAIT), button.click()]);
    const today = new Date().toISOString().slice(0, 10);
    assert.match(download.suggestedFilename(), /^blockbuilders-export-\d{4}-\d{2}-\d{2}\.zip$/);
    assert.equal(download.suggestedFilename(), `blockbuilders-export-${today}.zip`);
    const bytes = readFileSync(await download.path());
    assert.equal(bytes.subarray(0, 2).toString("latin1"), "PK", "a ZIP archive");
    const names = bytes.toString("latin1");
    assert.ok(names.includes("manifest.json"), "the archive has its manifest");
    assert.ok(names.includes("strategies/"), "the archive has the strategy");
    await section.getByRole("status").filter({ hasText: `Saved blockbuilders-export-${today}.zip.` }).waitFor(WAIT);

    // Once a minute: the second is refused with the wait.
    await button.click();
    const refusal = section.getByRole("alert");
    await refusal.waitFor(WAIT);
    assert.match(await refusal.textContent(), /^You can download your data once a minute; try again in \d+ s\.$/);
    await bothWidths(page, "your-data", () => section.getByRole("button", { name: "Delete my account" }).waitFor(WAIT));

    // The dialog: what goes and what stays; the final button waits for DELETE.
    await section.getByRole("button", { name: "Delete my account" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete your account" });
    await dialog.waitFor(WAIT);
    await dialog.getByText("What is deleted").waitFor(WAIT);
    await dialog.getByText("What is kept").waitFor(WAIT);
    await dialog.getByText(/pseudonym/).waitFor(WAIT);
    assert.equal(await dialog.getByLabel("Authentication code").count(), 0, "no code without two-factor sign-in");
    const final = dialog.getByRole("button", { name: "Delete my account for good" });
    assert.ok(await final.isDisabled(), "disabled before anything is typed");
    await dialog.getByLabel("Password").fill("not the password at all");
    assert.ok(await final.isDisabled(), "disabled with only the password");
    await dialog.getByLabel("Type DELETE to confirm").fill("delete");
    assert.ok(await final.isDisabled(), "disabled until DELETE is typed as it is");
    await dialog.getByLabel("Type DELETE to confirm").fill("DELETE");
    assert.ok(await final.isEnabled(), "enabled once DELETE is typed");
    await bothWidths(page, "delete-account-dialog", () => final.waitFor(WAIT));

    // A wrong password: refused on its field; the account is still there.
    await final.click();
    await dialog.getByText("The password is wrong.").waitFor(WAIT);
    assert.equal(await dialog.getByLabel("Password").getAttribute("aria-invalid"), "true");
    assert.equal((await call(token, "GET", "/me")).status, 200, "not deleted after a wrong password");

    // The right one: deleted, signed out, told so.
    await dialog.getByLabel("Password").fill(creds.password);
    await final.click();
    await page.waitForURL((u) => u.pathname === "/login", WAIT);
    await page.getByRole("status").filter({ hasText: "Your account was deleted." }).waitFor(WAIT);
    assert.equal(new URL(page.url()).search, "", "no way back to the deleted account's page");
    await checkAxe(page, "the login page after the deletion");
    await screenshot(page, "account-deleted");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("bb.token")), null, "the token is gone");

    // The old credentials no longer sign in, in the form or through the API.
    await page.getByLabel("Email").fill(creds.email);
    await page.getByLabel("Password").fill(creds.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("That email and password do not match an account.", { exact: false }).waitFor(WAIT);
    assert.equal((await call(null, "POST", "/auth/login", creds)).status, 401);
    assert.equal((await call(token, "GET", "/me")).status, 401, "the old token is refused");
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.close();
  }
});

test("an admin deletes another user's account from the audit log", async () => {
  const admin = { email: `admin-${Date.now()}@example.com`, password: "violet harbour stamps quickly" };
  const victim = { email: `gone-${Date.now()}@example.com`, password: "copper kettles hum loudly" };
  for (const who of [admin, victim]) assert.equal((await call(null, "POST", "/auth/register", who)).status, 202);
  execFileSync(binPath, ["users", "set", admin.email, "--role", "admin", "--database-url", `sqlite://${server.dbPath}`]);
  const adminToken = (await call(null, "POST", "/auth/login", admin)).body.access_token;
  const { secret } = await enableTwoFactor(server.url, adminToken);
  // The victim exports their data: an audit entry about them.
  const victimToken = (await call(null, "POST", "/auth/login", victim)).body.access_token;
  const exported = await fetch(`${server.url}/api/v1/me/export`, { headers: { Authorization: `Bearer ${victimToken}` } });
  assert.equal(exported.status, 200);
  await exported.arrayBuffer();

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await signInWithCode(page, server.url, admin, totp(secret, 1));
    await page.goto(`${server.url}/review`);
    const log = page.getByRole("region", { name: "Audit log" });
    await log.waitFor(WAIT);
    const row = log.getByRole("row").filter({ hasText: "user.exported" }).filter({ hasText: victim.email });
    await row.waitFor(WAIT);
    // The admin's own role change names them by email.
    await log.getByRole("row").filter({ hasText: "user.role_changed" }).filter({ hasText: admin.email }).first().waitFor(WAIT);
    await bothWidths(page, "audit-log", () => row.waitFor(WAIT));

    await row.getByRole("button", { name: `Delete account of ${victim.email}` }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete account" });
    await dialog.waitFor(WAIT);
    await dialog.getByText("do not name the person").waitFor(WAIT);
    await checkAxe(page, "the admin's delete dialog");
    // A reason naming the user is refused on its field.
    await dialog.getByLabel("Reason").fill(`Spam from ${victim.email}`);
    await dialog.getByRole("button", { name: "Delete the account" }).click();
    await dialog.locator(".field-error").waitFor(WAIT);
    assert.equal(await dialog.getByLabel("Reason").getAttribute("aria-invalid"), "true");
    assert.equal((await call(victimToken, "GET", "/me")).status, 200, "not deleted after a refused reason");

    await dialog.getByLabel("Reason").fill("Repeated spam in cohort chats (ticket 42)");
    await dialog.getByRole("button", { name: "Delete the account" }).click();
    await log.getByRole("status").filter({ hasText: `The account of ${victim.email} was deleted.` }).waitFor(WAIT);
    await log.getByRole("row").filter({ hasText: "user.erased" }).first().waitFor(WAIT);
    await page.waitForFunction((email) => !document.querySelector(".audit-log table")?.textContent?.includes(email), victim.email, WAIT);
    await log.getByRole("row").filter({ hasText: "user.exported" }).filter({ hasText: "deleted user" }).first().waitFor(WAIT);
    assert.equal(await log.getByRole("button", { name: `Delete account of ${victim.email}` }).count(), 0);
    await screenshot(page, "audit-log-erased");
    // (Signing in again is refused too; the first test checks it, and the login limit is near.)
    assert.equal((await call(victimToken, "GET", "/me")).status, 401, "the deleted user's token is refused");
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.close();
  }
});
