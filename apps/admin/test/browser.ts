/**
 * Debian's Chromium driven by playwright-core, a fresh profile per run; axe-core injected into
 * the page (its Playwright wrapper needs Node 22); screenshots under test/screenshots/ (ignored),
 * the README's pictures under docs/screenshots/ only when asked.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkMySqlTestServer } from '@ocs/db/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotDir = resolve(import.meta.dirname, 'screenshots');

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'ocs-admin-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The README's pictures, under docs/screenshots/: written only by `pnpm screenshots`
 * (OCS_README_PICTURES=1), so a test run leaves the tree as it was.
 */
export const readmePictureDir = resolve(import.meta.dirname, '../../../docs/screenshots');

export async function readmePicture(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  if (process.env.OCS_README_PICTURES !== '1') return;
  mkdirSync(readmePictureDir, { recursive: true });
  await page.screenshot({ path: join(readmePictureDir, `${name}.png`), fullPage: true });
}

/** A picture of the page for whoever reads a failed run: test/screenshots/ (not committed). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** The axe-core violations of serious or critical impact on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<unknown> } }).axe;
    const results = (await axe.run(document)) as { violations: unknown[]; passes: unknown[] };
    // No passing rule at all would mean axe did not look at the page.
    if (results.passes.length === 0) throw new Error('axe-core checked nothing on this page');
    return results.violations;
  })) as AxeViolation[];
  if (process.env.AXE_VERBOSE)
    console.log(
      page.url(),
      violations.map((v) => `${v.id}:${v.impact}`),
    );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

/**
 * Why a browser suite cannot run here (MariaDB, the built app or Chromium missing), or null.
 * In CI that is an error, never a silent skip.
 */
export async function browserSuiteSkipReason(suite: string): Promise<string | null> {
  const mysql = await checkMySqlTestServer();
  const built = existsSync(resolve(import.meta.dirname, '../dist/index.html'));
  const reason = !mysql.available
    ? `MariaDB not reachable (${mysql.skipReason ?? 'no answer'})`
    : !built
      ? 'apps/admin/dist is missing: run `vite build` first (the test script does)'
      : !existsSync(chromiumPath)
        ? `no Chromium at ${chromiumPath} (apt-get install -y chromium)`
        : null;
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`${suite} cannot run: ${reason}`);
    console.warn(`skipping ${suite}: ${reason}`);
  }
  return reason;
}
