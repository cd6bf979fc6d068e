/**
 * The admin app in headless Chromium against the real server on MariaDB with the notifier app:
 * sign-in, completing the demo orders, a notifier outage and its retry, a claim left by a
 * killed replica, the server going away, and an axe-core scan of every page at two widths.
 * The tests run in order and share one stack (each builds on what the previous one did).
 */
// biome-ignore-all lint/performance/useDomNodeTextContent: these are Playwright locators (innerText waits and reads the rendered text), not DOM nodes
import { seedGeneratedOrders } from '@ocs/db/client';
import { backdate } from '@ocs/db/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  browserSuiteSkipReason,
  launchBrowser,
  readmePicture,
  screenshot,
  seriousViolations,
} from './browser';
import { adminToken, type Stack, schedulerToken, startStack } from './stack';

const skipReason = await browserSuiteSkipReason('the admin browser tests');

describe.skipIf(skipReason !== null)(
  'admin app in Chromium (real server, MariaDB, notifier)',
  () => {
    let stack: Stack;
    let browser: Browser;
    /** Pages visited, for the accessibility scan at the end (the server is stopped before it). */
    const visited = new Map<string, string>();

    beforeAll(async () => {
      stack = await startStack();
      browser = await launchBrowser();
    });

    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
    });

    /** A new tab: its sessionStorage is empty, so it starts signed out. */
    async function newPage(path = '/'): Promise<Page> {
      const page = await browser.context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${stack.serverUrl}/admin${path}`);
      return page;
    }

    async function signIn(page: Page, token = adminToken) {
      await page.getByLabel('Admin token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }

    async function signedIn(path = '/orders'): Promise<Page> {
      const page = await newPage(path);
      await signIn(page);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      return page;
    }

    /** The cells of the outcome table's rows, by order id. */
    async function outcomes(page: Page, caption = 'Outcome per order') {
      const table = page.getByRole('table', { name: caption });
      await table.waitFor();
      const rows = await table.locator('tbody tr').all();
      const result: Record<number, { outcome: string; reason: string }> = {};
      for (const row of rows) {
        const cells = await row.locator('td').allInnerTexts();
        result[Number(cells[0])] = { outcome: cells[1] ?? '', reason: cells[2] ?? '' };
      }
      return result;
    }

    it('signs in with the admin token and shows the orders', async () => {
      const page = await newPage('/orders');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      visited.set('sign-in', '/');
      await screenshot(page, 'sign-in');
      await signIn(page);
      await page.getByRole('heading', { name: 'Orders', level: 1 }).waitFor();
      const table = page.getByRole('table', { name: /^Orders/ });
      await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(5);
      expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['ocs-admin-token']);
      expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
      visited.set('orders', '/orders');
      // The runs (home, live over SSE) and the failures across runs are scanned too.
      visited.set('runs', '/');
      visited.set('failures', '/failures');
      await screenshot(page, 'orders');
      await page.close();
    });

    it('given a wrong token, says so and stays signed out', async () => {
      const page = await newPage();
      await signIn(page, 'not-a-token-of-this-server');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.innerText()).toContain('Wrong token');
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      await screenshot(page, 'sign-in-wrong-token');
      await page.close();
    });

    it("given the scheduler's token, refuses it with the server's reason (403)", async () => {
      const page = await newPage();
      await signIn(page, schedulerToken);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = await alert.innerText();
      expect(text).toContain('This token is not an admin token');
      expect(text).toContain('This procedure needs one of the roles: admin');
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      await screenshot(page, 'sign-in-scheduler-token');
      await page.close();
    });

    it("completes the original's five orders: 2 and 3 finish, 1, 4 and 5 show their reasons; the run is in the history", async () => {
      const page = await signedIn('/orders');
      await page.getByRole('checkbox', { name: 'Select all rows on this page' }).check();
      await page.getByRole('button', { name: 'Complete selected orders (5)' }).click();
      const result = await outcomes(page);
      expect(Object.keys(result).map(Number)).toEqual([1, 2, 3, 4, 5]);
      expect(result[2]?.outcome).toBe('Finished');
      expect(result[3]?.outcome).toBe('Finished');
      expect(result[1]).toMatchObject({ outcome: 'Requirements not met' });
      expect(result[1]?.reason).toContain('Order 1 is not fully delivered');
      expect(result[4]?.reason).toContain('less than 6 months');
      expect(result[5]?.reason).toContain('Order 5 is not fully delivered');
      expect(result[5]?.reason).toContain('less than 6 months');
      await readmePicture(page, 'orders-completed');

      // The list refreshed: 2 and 3 are FINISHED now.
      const states = page
        .getByRole('table', { name: /^Orders/ })
        .locator('tbody tr td:nth-child(4)');
      await expect
        .poll(() => states.allInnerTexts(), { timeout: 10_000 })
        .toEqual(['SUBMITTED', 'FINISHED', 'FINISHED', 'SUBMITTED', 'SUBMITTED']);

      await page.getByRole('link', { name: 'See the call' }).click();
      await page.getByRole('heading', { name: /^Call / }).waitFor();
      const runPath = new URL(page.url()).pathname;
      visited.set('call-detail', runPath.replace(/^\/admin/, ''));

      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Calls' })
        .click();
      await page.getByRole('heading', { name: 'Calls', level: 1 }).waitFor();
      const history = page.getByRole('table', { name: /^Calls, newest first/ });
      await history.locator('tbody tr').first().waitFor();
      const first = await history.locator('tbody tr').first().locator('td').allInnerTexts();
      // Started, Outcome, Requested, Completed, Failed, Failed by reason, Duration
      expect(first.slice(1, 6)).toEqual(['COMPLETED', '5', '2', '3', '3 requirements not met']);
      expect(await history.locator('tbody tr').first().getByRole('link').getAttribute('href')).toBe(
        runPath,
      );
      await page.getByRole('figure').waitFor();
      expect(await page.getByRole('figure').innerText()).toContain(
        '2 orders completed and 3 failed',
      );
      visited.set('calls', '/calls');
      await screenshot(page, 'runs');

      await page.goto(`${stack.serverUrl}/admin/orders/1`);
      await page.getByRole('heading', { name: 'Order 1' }).waitFor();
      await page.locator('.verdicts li').first().waitFor();
      const verdicts = await page.locator('.verdicts li').allInnerTexts();
      expect(verdicts[0]).toContain('order-not-finished: passes');
      expect(verdicts[1]).toContain('fully-delivered: fails');
      expect(verdicts[1]).toContain('ORDER.NOT_FULLY_DELIVERED');
      expect(verdicts[2]).toContain('order-age: passes');
      expect(
        await page.getByRole('table', { name: /Calls that did not complete it/ }).innerText(),
      ).toContain('Requirements not met');
      visited.set('order-detail', '/orders/1');
      await screenshot(page, 'order-detail');
      await page.close();
    });

    it('given the notifier down, the run shows every eligible order not notified; back up, a retry from the run finishes them', async () => {
      const { ids } = await seedGeneratedOrders(stack.db, 3, {
        now: new Date(),
        mix: { eligible: 1 },
      });
      await stack.setNotifierFaults({ down: '503' });
      try {
        const page = await signedIn('/orders');
        await page.getByLabel('State').selectOption('SUBMITTED');
        for (const id of ids) {
          await page.getByRole('checkbox', { name: `Select order ${id}` }).check();
        }
        await page.getByRole('button', { name: 'Complete selected orders (3)' }).click();
        const alert = page.getByRole('alert').filter({ hasText: 'Completion' });
        await alert.waitFor();
        // 400 with the response body: in words, with every id's outcome.
        expect(await alert.innerText()).toContain('The server refused the request');
        const result = await outcomes(page);
        for (const id of ids) expect(result[id]?.outcome).toBe('Not notified');
        await screenshot(page, 'notifier-down');

        await alert.getByRole('link', { name: 'See the call' }).click();
        await page.getByRole('heading', { name: /^Call / }).waitFor();
        const failed = await outcomes(page, 'Failed orders and their reasons');
        expect(Object.keys(failed).map(Number)).toEqual(ids);
        for (const id of ids) expect(failed[id]?.outcome).toBe('Not notified');
        expect(await page.locator('.facts').innerText()).toContain('ORDERS.NONE_NOTIFIED');

        await stack.setNotifierFaults({});
        await page.getByRole('button', { name: 'Retry the 3 retryable failed orders' }).click();
        const retried = await outcomes(page);
        for (const id of ids) expect(retried[id]?.outcome).toBe('Finished');
        await readmePicture(page, 'call-detail');
        await page.close();
      } finally {
        await stack.setNotifierFaults({});
      }
    });

    it('shows a claim left by a killed replica, its run as unfinished, and releases it', async () => {
      const { ids } = await seedGeneratedOrders(stack.db, 1, {
        now: new Date(),
        mix: { eligible: 1 },
      });
      const orderId = ids[0] as number;
      // What a replica killed mid-call leaves: a RUNNING run and a claim whose lease has ended.
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      await stack.db.calls.start({
        id: '0000-killed-replica',
        startedAt: twoHoursAgo,
        requestedCount: 1,
      });
      await stack.db.ledger.claim({
        callId: '0000-killed-replica',
        orderIds: [orderId],
        leaseMs: 600_000,
      });
      // Claimed two hours ago in the database's clock (leases are judged in it).
      await backdate(stack.testDb.url, 'completion_ledger', 2 * 3_600_000);

      const page = await signedIn('/claims');
      const claims = page.getByRole('table', { name: /^Claims of calls no longer alive/ });
      await claims.locator('tbody tr').first().waitFor();
      const cells = await claims.locator('tbody tr').first().locator('td').allInnerTexts();
      // select, Order, State, Age, Lease ended, Run, Claims
      expect(cells[1]).toBe(String(orderId));
      expect(cells[2]).toBe('claimed (maybe sent)');
      expect(cells[3]).toMatch(/^2 h 0 min|^1 h 59 min/);
      expect(cells[5]).toBe('0000-killed-replica');
      visited.set('claims', '/claims');
      await screenshot(page, 'claims');

      await page.getByRole('checkbox', { name: `Select the claim on order ${orderId}` }).check();
      await page.getByRole('button', { name: 'Release selected claims (1)' }).click();
      const status = page.getByRole('status').filter({ hasText: 'Release' });
      await status.waitFor();
      expect(await status.innerText()).toContain(
        `Order ${orderId}: Released: the next call notifies it`,
      );
      await expect
        .poll(() => claims.innerText(), { timeout: 10_000 })
        .toContain('No claims left behind.');
      expect(await stack.db.ledgerQueries.entry(orderId)).toBeNull();
      await screenshot(page, 'claims-released');

      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Calls' })
        .click();
      const history = page.getByRole('table', { name: /^Calls, newest first/ });
      await history.locator('tbody tr').first().waitFor();
      expect(await history.innerText()).toContain('Unfinished (its process is gone)');
      await page.close();
    });

    it('scans every page with axe-core: no serious or critical violations, at 1280 px and at 375 px', async () => {
      const page = await newPage('/');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      const problems: string[] = [];
      for (const [width, height] of [
        [1280, 900],
        [375, 812],
      ] as const) {
        await page.setViewportSize({ width, height });
        await page.goto(`${stack.serverUrl}/admin/`);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        for (const v of await seriousViolations(page)) problems.push(`sign-in @${width}: ${v}`);
        if (width === 375) await screenshot(page, 'narrow-sign-in');
        await signIn(page);
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
        for (const [name, path] of visited) {
          if (name === 'sign-in') continue;
          await page.goto(`${stack.serverUrl}/admin${path}`);
          await page.getByRole('heading', { level: 1 }).waitFor();
          // The home page keeps its SSE subscription open: the network is never idle there.
          if (name !== 'runs') await page.waitForLoadState('networkidle');
          await page
            .locator('[role="status"]', { hasText: /^Loading/ })
            .waitFor({ state: 'detached' });
          for (const v of await seriousViolations(page)) problems.push(`${name} @${width}: ${v}`);
          if (width === 375) {
            // Usable at 375 px: the page itself does not scroll sideways (tables scroll inside).
            const overflow = await page.evaluate(
              () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
            );
            if (overflow > 0) problems.push(`${name} @375: the page is ${overflow} px too wide`);
            await screenshot(page, `narrow-${name}`);
          }
        }
        await page.getByRole('button', { name: 'Sign out' }).click();
      }
      expect([...visited.keys()].sort()).toEqual([
        'call-detail',
        'calls',
        'claims',
        'failures',
        'order-detail',
        'orders',
        'runs',
        'sign-in',
      ]);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('given the server stopped, the page says so; back, it reloads', async () => {
      const page = await signedIn('/orders');
      await page.getByRole('table', { name: /^Orders/ }).waitFor();
      await stack.server.stop();
      const banner = page.getByRole('alert').filter({ hasText: 'The server cannot be reached' });
      await banner.first().waitFor({ timeout: 15_000 });
      // An action now fails in words too, not with a blank page.
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Claims' })
        .click();
      await page.getByRole('heading', { name: 'Claims', level: 1 }).waitFor();
      await page.getByText('Claims: The server cannot be reached').waitFor();
      await screenshot(page, 'server-stopped');

      // Back on the same address: the banner goes and the page reloads its data by itself.
      await stack.restartServer();
      await banner.first().waitFor({ state: 'detached', timeout: 15_000 });
      await page.getByText('No claims left behind.').waitFor();
      await page.close();
    });
  },
);
