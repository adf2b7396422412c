// The operations page (admins with two-factor on): the backup schedule the server was started
// with (`BB_BACKUP_TO`), and a backup made with `blockbuilders backup` against the running
// server's database listed with its result and id; the review page links to it. Axe at 1440
// and 390 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, screenshot, signInWithCode, enableTwoFactor, totp, binPath, callApi, assertNoAxeViolations } from "./harness.mjs";

const WAIT = { timeout: 30_000 };
const backups = mkdtempSync(join(tmpdir(), "bb-e2e-backups-"));

let server;
let browser;

before(async () => {
  server = await startServer({ env: { BB_BACKUP_TO: backups } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A JSON call to this file's server. */
const call = (token, method, path, body) => callApi(server.url, token, method, path, body);
const checkAxe = assertNoAxeViolations;

test("an admin sees the backup schedule and a backup made while the server runs", async () => {
  const admin = { email: `ops-${Date.now()}@example.com`, password: "amber lanterns drift slowly" };
  assert.equal((await call(null, "POST", "/auth/register", admin)).status, 202);
  execFileSync(binPath, ["users", "set", admin.email, "--role", "admin", "--database-url", `sqlite://${server.dbPath}`]);
  const token = (await call(null, "POST", "/auth/login", admin)).body.access_token;
  const { secret } = await enableTwoFactor(server.url, token);

  // A backup of the live database, as an operator runs it.
  const out = execFileSync(binPath, ["backup", "--to", backups, "--database-url", `sqlite://${server.dbPath}`]).toString();
  const id = /--id (\S+)/.exec(out)?.[1];
  assert.ok(id, out);

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await signInWithCode(page, server.url, admin, totp(secret, 1));
    await page.goto(`${server.url}/review`);
    await page.getByRole("link", { name: "Backups and restore drills →" }).click();
    await page.getByRole("heading", { level: 1, name: "Operations" }).waitFor(WAIT);
    const section = page.getByRole("region", { name: "Backups" });
    await section.getByText(backups).first().waitFor(WAIT);
    await section.getByText("each followed by a restore drill").waitFor(WAIT);
    const row = section.getByRole("row").filter({ hasText: id });
    await row.waitFor(WAIT);
    assert.match(await row.innerText(), /Backup\s+OK/);
    await checkAxe(page, "the operations page at 1440 px");
    await screenshot(page, "operations-1440");
    await page.setViewportSize({ width: 390, height: 844 });
    await row.waitFor(WAIT);
    await checkAxe(page, "the operations page at 390 px");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than the screen`);
    await screenshot(page, "operations-390");
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.close();
  }
});
