/**
 * The operator's view in headless Chromium: the scheduler's runs, live, against the real
 * server (legacy protocol), the notifier app and a scheduler daemon on MariaDB. A live run of
 * 20,000 orders seen advancing; the notifier down for part of a run, and the retry of its
 * not-notified group as a run of its own; the scheduler killed mid-run, shown abandoned, and
 * the next run finishing what it left. The tests share one stack and run in order.
 */
// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators (innerText waits and reads the rendered text), not DOM nodes
import { seedGeneratedOrders } from '@ocs/db/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, browserSuiteSkipReason, launchBrowser, readmePicture } from './browser';
import { type AppProcess, adminToken, type Stack, startStack } from './stack';

const skipReason = await browserSuiteSkipReason('the admin runs browser tests');

describe.skipIf(skipReason !== null)(
  'scheduler runs in the admin app (Chromium, real processes)',
  () => {
    let stack: Stack;
    let browser: Browser;
    let scheduler: AppProcess;

    beforeAll(async () => {
      stack = await startStack({
        // The original's protocol, one order per request: 24 in flight at 20 ms each.
        serverEnv: { NOTIFIER_PROTOCOL: 'legacy', NOTIFIER_CONCURRENCY: '24' },
      });
      browser = await launchBrowser();
      scheduler = await stack.startScheduler();
    });

    afterAll(async () => {
      await browser?.close();
      await scheduler?.stop();
      await stack?.stop();
    });

    async function home(): Promise<Page> {
      const page = await browser.context.newPage();
      page.setDefaultTimeout(30_000);
      await page.goto(`${stack.serverUrl}/admin/`);
      await page.getByLabel('Admin token').fill(adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
      return page;
    }

    /** Clicks "Run now" and waits for the run the scheduler starts: its id. */
    async function runNow(page: Page): Promise<string> {
      const before = await stack.db.schedulerRuns.list({ limit: 1 });
      await page.getByRole('button', { name: 'Run now' }).click();
      const current = page.getByTestId('current-run');
      await current.waitFor();
      const id = await current.getByRole('link', { name: /^Run / }).innerText();
      expect(id).not.toBe(`Run ${before.runs[0]?.id}`);
      return id.replace(/^Run /, '');
    }

    /** What the run's counts table shows, by outcome key. */
    async function shownCounts(page: Page, table: string): Promise<Record<string, number>> {
      const rows = page.getByRole('table', { name: table }).locator('tbody tr');
      const counts: Record<string, number> = {};
      for (const row of await rows.all()) {
        const key = await row.getAttribute('data-outcome');
        if (key) counts[key] = Number(await row.locator('td').innerText());
      }
      return counts;
    }

    /** What the server recorded of the run's calls (the run's own figures come from its scheduler). */
    async function recordedByCalls(runId: string) {
      const { runs: calls } = await stack.db.calls.list({ runId, limit: 200 });
      return {
        calls: calls.length,
        completed: calls.reduce((n, c) => n + c.counts.completed, 0),
        failedRequirements: calls.reduce((n, c) => n + c.counts.failed_requirements, 0),
      };
    }

    it('a run of 20,000 orders advances live on the home page, and its figures match the database', async () => {
      await stack.setNotifierFaults({ latencyMs: 20 });
      await seedGeneratedOrders(stack.db, 20_000);
      const page = await home();
      await page
        .getByText(/Scheduler .* is alive/)
        .first()
        .waitFor();
      const started = Date.now();
      const runId = await runNow(page);

      // Watch the progress bar while the run lasts: the values it shows, as they change.
      const seen: number[] = [];
      const settled = page.getByTestId('current-run').getByTestId('settled');
      let pictured = false;
      while (await page.getByTestId('current-run').isVisible()) {
        const value = Number(await settled.innerText({ timeout: 1000 }).catch(() => 'NaN'));
        if (Number.isFinite(value) && value !== seen.at(-1)) seen.push(value);
        if (!pictured && value > 5000) {
          await readmePicture(page, 'home-live-run');
          pictured = true;
        }
        await page.waitForTimeout(100);
      }
      const lastedMs = Date.now() - started;
      expect(lastedMs).toBeGreaterThanOrEqual(15_000);
      // At least three distinct values before the end, rising.
      const during = seen.filter((v) => v < 20_000);
      expect(new Set(during).size).toBeGreaterThanOrEqual(3);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);

      await page.goto(`${stack.serverUrl}/admin/runs/${runId}`);
      await page.getByTestId('run-status').getByText('Finished').waitFor();
      const counts = await shownCounts(page, 'Orders by outcome');
      const recorded = await recordedByCalls(runId);
      expect(recorded.calls).toBeGreaterThanOrEqual(20);
      // The 20,000 and the demo orders that were eligible.
      expect(counts.completed).toBeGreaterThanOrEqual(20_000);
      expect(counts.completed).toBe(recorded.completed);
      // The demo orders that fail their requirements, on every run.
      expect(counts.failed_requirements ?? 0).toBe(recorded.failedRequirements);
      await page.close();
    });

    it('the notifier down for part of a run: finished with orders left; retrying the not-notified group is its own run and finishes them', async () => {
      await stack.setNotifierFaults({ latencyMs: 5 });
      const { ids } = await seedGeneratedOrders(stack.db, 3000);
      const page = await home();
      const runId = await runNow(page);
      // Part way through, the notifier goes down until the run ends.
      const settled = page.getByTestId('current-run').getByTestId('settled');
      await expect
        .poll(async () => Number(await settled.innerText().catch(() => '0')), {
          timeout: 30_000,
          interval: 50,
        })
        .toBeGreaterThan(0);
      await stack.setNotifierFaults({ latencyMs: 5, down: '503' });
      await page.getByTestId('current-run').waitFor({ state: 'detached', timeout: 60_000 });

      await page.goto(`${stack.serverUrl}/admin/runs/${runId}`);
      await page.getByTestId('run-status').getByText('Finished with orders left').waitFor();
      const group = page.locator('tr[data-group="not_notified"]');
      await group.waitFor();
      const left = Number(await group.getByTestId('group-count').innerText());
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThan(ids.length);
      const stillSubmitted = await stack.db.orders.findByIds(ids);
      expect(stillSubmitted.filter((o) => o.state === 'SUBMITTED')).toHaveLength(left);

      // Back up: retry that group from the run's page.
      await stack.setNotifierFaults({ latencyMs: 5 });
      await group.getByRole('button', { name: `Retry ${left}` }).click();
      const requested = page.getByRole('status').filter({ hasText: 'Retry requested as' });
      await requested.waitFor();
      const retryId = (await requested.getByRole('link').innerText()).replace(/^run /, '');
      await page.goto(`${stack.serverUrl}/admin/runs/${retryId}`);
      await page
        .getByTestId('run-status')
        .getByText('Finished', { exact: true })
        .waitFor({ timeout: 60_000 });
      expect(await page.getByRole('link', { name: runId }).count()).toBe(1);
      expect((await shownCounts(page, 'Orders by outcome')).completed).toBe(left);
      const after = await stack.db.orders.findByIds(ids);
      expect(after.filter((o) => o.state === 'SUBMITTED')).toHaveLength(0);
      // The first run lists its retry.
      await page.goto(`${stack.serverUrl}/admin/runs/${runId}`);
      await page.getByRole('link', { name: `Run ${retryId}` }).waitFor();
      await readmePicture(page, 'run-page');
      await page.close();
    });

    it('the scheduler killed mid-run: the run shows abandoned after its lease, and the next run completes what was left', async () => {
      await stack.setNotifierFaults({ latencyMs: 20 });
      const { ids } = await seedGeneratedOrders(stack.db, 8000);
      const page = await home();
      const runId = await runNow(page);
      const settled = page.getByTestId('current-run').getByTestId('settled');
      await expect
        .poll(async () => Number(await settled.innerText().catch(() => '0')), {
          timeout: 30_000,
          interval: 50,
        })
        .toBeGreaterThan(0);
      scheduler.child.kill('SIGKILL');
      await scheduler.stop();

      await page.goto(`${stack.serverUrl}/admin/runs/${runId}`);
      // The lock's lease is 3 s: then the run reads as abandoned.
      await page.getByTestId('run-status').getByText('Abandoned').waitFor({ timeout: 20_000 });
      const left = (await stack.db.orders.findByIds(ids)).filter((o) => o.state === 'SUBMITTED');
      expect(left.length).toBeGreaterThan(0);

      scheduler = await stack.startScheduler();
      const again = await home();
      await again
        .getByText(/Scheduler .* is alive/)
        .first()
        .waitFor();
      const nextId = await runNow(again);
      await again.goto(`${stack.serverUrl}/admin/runs/${nextId}`);
      await again
        .getByTestId('run-status')
        .getByText('Finished', { exact: true })
        .waitFor({ timeout: 60_000 });
      expect((await shownCounts(again, 'Orders by outcome')).completed).toBe(left.length);
      const after = await stack.db.orders.findByIds(ids);
      expect(after.filter((o) => o.state === 'SUBMITTED')).toHaveLength(0);
      await page.close();
      await again.close();
    });
  },
);
