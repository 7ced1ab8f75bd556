import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const root = join(import.meta.dirname, '..');
const distDir = join(root, 'packages/web/dist');
const screenshots = join(import.meta.dirname, 'screenshots');

let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  // Always build: the test must check the UI as its sources are now, not a stale dist.
  execFileSync('npx', ['vite', 'build'], { cwd: join(root, 'packages/web'), stdio: 'ignore' });
  if (!existsSync(join(distDir, 'index.html')))
    throw new Error('vite build produced no index.html');
  await mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

/** The server serves the built UI at `/` itself: the page and the API share one origin. */
async function openUi(server: TestServer): Promise<{ url: string; close(): Promise<void> }> {
  const home = await fetch(`${server.url}/`);
  const body = await home.text();
  if (!body.includes('<div id="root">'))
    throw new Error(`the server does not serve the UI at /: ${body.slice(0, 200)}`);
  return { url: server.url, close: async () => {} };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

async function sendMessage(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  await input.press('Enter');
}

describe('web UI in chromium', () => {
  let server: TestServer;
  let ui: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await startTestServer({ permissionMode: 'default' });
    ui = await openUi(server);
  });
  afterAll(async () => {
    await ui?.close();
    await server?.close();
  });

  it('chats, approves a tool, restores history on reload and reconnects after a server restart', async () => {
    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    await page.goto(ui.url);
    await page.getByTestId('welcome-new').click();
    await expect.poll(() => page.url()).toMatch(/#\/s\/.+/);
    const sessionId = decodeURIComponent(page.url().split('#/s/')[1]!);

    // 1. A message and its reply.
    await sendMessage(page, 'Hello from the **browser**');
    const firstTurn = page.getByTestId('turn').first();
    await firstTurn.getByText('Echo: Hello from the browser').waitFor({ timeout: 30_000 });
    // Markdown rendered: the bold survives as <strong>, not as asterisks.
    expect(await firstTurn.getByTestId('assistant').locator('strong').textContent()).toBe(
      'browser',
    );
    await firstTurn.getByTestId('turn-meta').waitFor();
    expect(await firstTurn.getByTestId('turn-meta').textContent()).toMatch(
      /Done\$0\.\d{4}.*in.*out.*(ms|s)/,
    );
    await shot(page, '01-reply');

    // 2. A tool that needs approval.
    await sendMessage(page, '[[tool:Bash:{"command":"echo hi > out.txt"}]]');
    const dialog = page.getByTestId('permission-dialog');
    await dialog.waitFor({ timeout: 30_000 });
    expect(await dialog.textContent()).toContain('echo hi > out.txt');
    await shot(page, '02-permission');
    await page.getByTestId('permission-allow').click();
    await dialog.waitFor({ state: 'detached' });
    const card = page.getByTestId('tool-card').first();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
    await page.getByTestId('turn').nth(1).getByText('Tool Bash done').waitFor({ timeout: 30_000 });
    await card.locator('summary').click();
    expect(await card.textContent()).toContain('Approved');
    // The tool really ran in the session's workspace.
    expect(await readFile(join(server.dataDir, 'workspaces', sessionId, 'out.txt'), 'utf8')).toBe(
      'hi\n',
    );
    await shot(page, '03-tool-result');

    // 3. Reload: the history comes back from the log.
    await page.reload();
    await page.getByTestId('turn').nth(1).getByText('Tool Bash done').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('turn').count()).toBe(2);
    expect(await page.getByTestId('turn').first().textContent()).toContain(
      'Echo: Hello from the browser',
    );
    await page
      .getByTestId('session-totals')
      .getByText(/\$0\.\d{4}/)
      .waitFor();
    await shot(page, '04-reloaded');

    // 4. Restart the server: the page shows it is reconnecting, then carries on by itself.
    await server.stop();
    await page
      .getByTestId('connection-banner')
      .getByText('Reconnecting')
      .waitFor({ timeout: 15_000 });
    await shot(page, '05-reconnecting');
    await server.start();
    await page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 30_000 });
    await sendMessage(page, 'after the restart');
    await page
      .getByTestId('turn')
      .nth(2)
      .getByText('Echo: after the restart')
      .waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('turn').count()).toBe(3);
    await shot(page, '06-after-restart');
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 150_000);

  it('streams a reply into the page token by token while the turn runs', async () => {
    const page = await browser.context.newPage();
    await page.goto(ui.url);
    await page.getByTestId('new-session').click();
    await expect.poll(() => page.url()).toMatch(/#\/s\/.+/);
    const words = 'the quick brown fox jumps over the lazy dog and keeps on running far away';
    await sendMessage(page, `[[slow:2000]] ${words}`);
    const streaming = page.getByTestId('turn').first().locator('.markdown.streaming');
    await streaming.waitFor({ timeout: 30_000 });
    const early = (await streaming.textContent()) ?? '';
    await shot(page, '10-streaming-early');
    // Later reads while the same turn still runs show more of the reply.
    let later = early;
    await expect
      .poll(
        async () => {
          later = (await streaming.textContent().catch(() => null)) ?? later;
          return later.length;
        },
        { timeout: 5_000, interval: 100 },
      )
      .toBeGreaterThan(early.length);
    await shot(page, '11-streaming-later');
    expect(early.length).toBeGreaterThan(0);
    expect(early.length).toBeLessThan(`Echo: ${words}`.length);
    expect(
      later.startsWith(early.trim()),
      `${JSON.stringify(early)} then ${JSON.stringify(later)}`,
    ).toBe(true);
    expect(await page.getByTestId('turn').first().getAttribute('data-outcome')).toBe('running');
    // Then the committed entry replaces the streamed text, once and whole.
    await expect
      .poll(() => page.getByTestId('turn').first().getAttribute('data-outcome'), {
        timeout: 30_000,
      })
      .toBe('success');
    const assistant = page.getByTestId('turn').first().getByTestId('assistant');
    expect((await assistant.textContent())?.trim()).toBe(`Echo: ${words}`);
    expect(await assistant.locator('.markdown.streaming').count()).toBe(0);
    await shot(page, '12-streamed-done');
    await page.close();
  }, 90_000);

  it('shows a follow-up as queued, interrupts with Stop, and shows reply HTML as text', async () => {
    const page = await browser.context.newPage();
    await page.goto(ui.url);
    await page.getByTestId('new-session').click();
    await expect.poll(() => page.url()).toMatch(/#\/s\/.+/);
    await sendMessage(page, '[[slow:10000]] a long answer');
    await page.getByTestId('interrupt').waitFor({ timeout: 30_000 });
    await sendMessage(page, '[[reply:the follow-up]] next');
    await page.getByTestId('queued-message').getByText('next').waitFor({ timeout: 15_000 });
    await shot(page, '07-queued');
    await page.getByTestId('interrupt').click();
    await expect
      .poll(() => page.getByTestId('turn').first().getAttribute('data-outcome'), {
        timeout: 20_000,
      })
      .toBe('interrupted');
    await page.getByTestId('turn').nth(1).getByText('the follow-up').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('queued-message').count()).toBe(0);
    await shot(page, '08-interrupted');

    // The agent's text is untrusted: raw HTML in a reply is shown as text, never run.
    await sendMessage(page, 'html <img src=x onerror="document.title=\'pwned\'"><b>raw</b>');
    const third = page.getByTestId('turn').nth(2).getByTestId('assistant');
    await third.getByText('<b>raw</b>', { exact: false }).waitFor({ timeout: 30_000 });
    expect(await third.locator('img, b').count()).toBe(0);
    expect(await page.title()).toBe('agent-sessions');
    await page.close();
  }, 90_000);
});

describe('web UI with API keys', () => {
  it('asks for a key when the server answers 401 and keeps it in the browser', async () => {
    const server = await startTestServer({ keys: 'acme:secret-key-1' });
    const ui = await openUi(server);
    try {
      const page = await browser.context.newPage();
      await page.goto(ui.url);
      await page.getByTestId('api-key-input').waitFor({ timeout: 15_000 });
      await shot(page, '09-key-prompt');
      await page.getByTestId('api-key-input').fill('wrong-key');
      await page.getByTestId('api-key-input').press('Enter');
      await page.getByText('The server did not accept this key.').waitFor({ timeout: 15_000 });
      await page.getByTestId('api-key-input').fill('secret-key-1');
      await page.getByTestId('api-key-input').press('Enter');
      await page.getByTestId('new-session').click();
      await sendMessage(page, 'hello with a key');
      await page.getByText('Echo: hello with a key').waitFor({ timeout: 30_000 });
      expect(
        await page.evaluate(() =>
          (
            globalThis as unknown as { localStorage: { getItem(key: string): string | null } }
          ).localStorage.getItem('agent-sessions.apiKey'),
        ),
      ).toBe('secret-key-1');
      await page.reload();
      await page.getByText('Echo: hello with a key').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('api-key-input').count()).toBe(0);
      await page.close();
    } finally {
      await ui.close();
      await server.close();
    }
  }, 90_000);
});
