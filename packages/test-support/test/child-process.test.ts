/** startProcess and the listening wait, against a tiny node script in test/fixtures. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  freePort,
  killAll,
  type RunningApp,
  startProcess,
  waitForListening,
} from '../src/index.js';

const fixtures = resolve(import.meta.dirname, 'fixtures');

function tinyApp(env: Record<string, string> = {}, args: string[] = []) {
  return startProcess({ name: 'tiny', args: ['tiny-app.mjs', ...args], cwd: fixtures, env });
}

describe('a process that listens', () => {
  it('is ready once it logs its URL, answers there, and stops on SIGTERM with exit code 0', async () => {
    const app = Object.assign(tinyApp(), { app: 'server' as const }) satisfies RunningApp;
    const url = await waitForListening(app);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(url)).text()).toBe('ok');
    expect(app.output()).toContain('warming up');

    await app.stop();
    expect(await app.exited).toBe(0);
    expect(app.running).toBe(false);
    expect(app.output()).toContain('stopping');
  });

  it('listens on a port from freePort when told to', async () => {
    const port = await freePort();
    const app = tinyApp({ PORT: String(port) });
    const [, url] = await app.waitFor(/"url":"([^"]+)"/);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    await app.stop();
  });

  it('is killed after the grace period when it ignores SIGTERM', async () => {
    const app = tinyApp({ IGNORE_SIGTERM: 'true' });
    await app.waitFor(/listening/);
    await app.stop(200);
    expect(await app.exited).toBeNull();
    expect(app.child.signalCode).toBe('SIGKILL');
    expect(app.output()).toContain('ignoring SIGTERM');
  });

  it('kill() ends it at once, and killAll() whatever is left', async () => {
    const first = tinyApp({ IGNORE_SIGTERM: 'true' });
    const second = tinyApp();
    await Promise.all([first.waitFor(/listening/), second.waitFor(/listening/)]);
    await first.kill();
    expect(first.child.signalCode).toBe('SIGKILL');
    await killAll();
    expect(second.running).toBe(false);
  });
});

describe('waiting for a line', () => {
  it('finds a line printed before the call, and the unfinished last line once the stream ends', async () => {
    const app = tinyApp({}, ['lines', '3']);
    expect(await app.exited).toBe(0);
    const [line] = await app.waitFor(/^line 2$/);
    expect(line).toBe('line 2');
    expect(app.output()).toBe('line 1\nline 2\nline 3\nunfinished last line');
  });

  it('fails with the last lines when the process exits without printing it', async () => {
    const app = tinyApp({ EXIT_CODE: '3' }, ['lines', '100']);
    const error = await app.waitFor(/never printed/).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^tiny exited before printing \/never printed\//);
    expect((error as Error).message).toContain('line 100');
    expect((error as Error).message).not.toContain('line 10\n');
    expect(await app.exited).toBe(3);
  });

  it('fails after its timeout while the process runs on', async () => {
    const app = tinyApp();
    await expect(app.waitFor(/never printed/, 300)).rejects.toThrow(
      /tiny did not print \/never printed\/ within 300 ms/,
    );
    expect(app.running).toBe(true);
    await app.stop();
  });
});

describe('a process group', () => {
  it('stop() signals the group the process leads', async () => {
    const app = startProcess({
      name: 'group',
      args: ['tiny-app.mjs'],
      cwd: fixtures,
      processGroup: true,
    });
    await app.waitFor(/listening/);
    await app.stop();
    expect(await app.exited).toBe(0);
  });
});
