/**
 * Real headless Chromium (from the @sparticuz/chromium npm package, or ERRAND_CHROMIUM, or a system
 * one: see chromium.ts), driven by playwright-core, against the standalone server on a real SQLite
 * engine with a running worker. Screenshots go to test-artifacts/dashboard/.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { serveDashboard, type DashboardServer } from "../../src/dashboard/index.ts";
import { CHROMIUM_ARGS, findChromium } from "./chromium.ts";
import { createFixture, type Fixture } from "./fixture.ts";

const ARTIFACTS = "test-artifacts/dashboard";
const TOKEN = "browser-test-token";

describe("dashboard in headless Chromium", () => {
  let fx: Fixture;
  let server: DashboardServer;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  before(async () => {
    const chromiumFound = await findChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    fx = await createFixture();
    await fx.startWorker();
    server = await serveDashboard({ engine: fx.engine, port: 0, token: TOKEN });
    browser = await chromium.launch({ executablePath: chromiumFound.executablePath, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await fx?.close();
  });

  function watch(page: Page): Page {
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // The login page answers 401 and a rejected trigger 422 on purpose; any other error (a CSP
    // violation, a failed asset, a script error) is a problem.
    const expected = /Failed to load resource: the server responded with a status of (401|422)\b/;
    page.on("console", (m) => { if (m.type() === "error" && !expected.test(m.text())) problems.push(`console: ${m.text()}`); });
    page.on("dialog", (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
    return page;
  }

  it("logs in, filters to failed, opens a run, replays it and sees the new run appear live", async () => {
    const page = watch(await context.newPage());
    await page.goto(server.url + "runs");
    await page.fill('input[name="token"]', TOKEN);
    await Promise.all([page.waitForURL(server.url), page.click('button[type="submit"]')]);
    await page.locator("text=Throughput · last hour").waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/overview.png`, fullPage: true });

    await page.click('nav a:has-text("Runs")');
    await page.locator("table.runs").waitFor();
    assert.equal(await page.locator("table.runs tbody tr").count(), 2);
    await Promise.all([page.waitForURL(/status=failed/), page.selectOption('select[name="status"]', "failed")]);
    const rows = page.locator("table.runs tbody tr");
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute("data-run-id"), fx.explodeId);
    await page.screenshot({ path: `${ARTIFACTS}/runs-failed.png`, fullPage: true });

    await Promise.all([page.waitForURL(new RegExp(`/runs/${fx.explodeId}$`)), rows.first().locator("a").first().click()]);
    await page.locator('tr[data-step="prepare"]').waitFor();
    assert.match(await page.locator(".log").innerText(), /about to fail/);
    assert.match(await page.locator("pre.payload").innerText(), /<script>window.__xss=1<\/script>/, "the payload is visible as text");
    assert.match(await page.locator(".error pre.err").innerText(), /Error: boom <script>/);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, "no injected script ran");
    await page.screenshot({ path: `${ARTIFACTS}/run-failed.png`, fullPage: true });

    // A second tab keeps the failed-runs list open; it must update without a reload.
    const list = watch(await context.newPage());
    await list.goto(server.url + "runs?status=failed");
    await list.evaluate(() => { (window as unknown as { __marker: number }).__marker = 42; });

    await Promise.all([page.waitForURL(/notice=replayed/), page.click('button:has-text("Replay")')]);
    const newId = /\/runs\/([^/?]+)\?/.exec(page.url())![1]!;
    assert.notEqual(newId, fx.explodeId);
    await page.locator('.flash.ok:has-text("Replayed")').waitFor();
    // The detail page follows the new run live until it fails like the original.
    await page.locator("h1 .badge.s-failed").waitFor({ timeout: 20_000 });
    await page.locator('tr[data-step="prepare"]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/run-replayed.png`, fullPage: true });

    await list.locator(`tr[data-run-id="${newId}"]`).waitFor({ timeout: 20_000 });
    assert.match((await list.locator(`tr[data-run-id="${newId}"]`).getAttribute("class")) ?? "", /\bfresh\b/, "the new row is highlighted");
    assert.equal(await list.evaluate(() => (window as unknown as { __marker?: number }).__marker), 42, "the list was not reloaded");
    assert.equal(await list.locator("table.runs tbody tr").count(), 2);
    await list.screenshot({ path: `${ARTIFACTS}/runs-live.png`, fullPage: true });
    await list.close();
    await page.close();
  });

  it("triggers a task with a JSON payload and shows schema errors", async () => {
    const page = watch(await context.newPage());
    await page.goto(server.url + "tasks");
    await page.screenshot({ path: `${ARTIFACTS}/tasks.png`, fullPage: true });
    await Promise.all([page.waitForURL(/\/tasks\/typed$/), page.click('a:has-text("typed")')]);
    await page.fill('textarea[name="payload"]', '{"count": 0}');
    await page.click('button:has-text("Trigger")');
    await page.locator(".trigger-errors li").first().waitFor();
    assert.match(await page.locator(".trigger-errors").innerText(), /count:/);
    await page.screenshot({ path: `${ARTIFACTS}/trigger-error.png`, fullPage: true });
    await page.fill('textarea[name="payload"]', '{"count": 21}');
    await Promise.all([page.waitForURL(/notice=triggered/), page.click('button:has-text("Trigger")')]);
    await page.locator("h1 .badge.s-completed").waitFor({ timeout: 20_000 });
    assert.match(await page.locator("pre.output").innerText(), /"doubled": 42/);
    await page.screenshot({ path: `${ARTIFACTS}/triggered.png`, fullPage: true });
    await page.goto(server.url + "schedules");
    await page.screenshot({ path: `${ARTIFACTS}/schedules.png`, fullPage: true });
    await page.close();
  });

  it("raised no page errors, console errors or dialogs", () => {
    assert.deepEqual(problems, []);
  });
});
