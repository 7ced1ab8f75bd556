import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-support/server-harness.js';

describe('the web UI at /', () => {
  let root: string;
  let server: TestServer;
  let bare: TestServer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-sessions-web-dist-'));
    await mkdir(join(root, 'dist', 'assets'), { recursive: true });
    await writeFile(join(root, 'dist', 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(root, 'dist', 'assets', 'app-Abcdef12.js'), 'export {}');
    server = await startTestServer({ webDir: join(root, 'dist') });
    bare = await startTestServer({ webDir: join(root, 'no-build-here') });
  });
  afterAll(async () => {
    await server?.close();
    await bare?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves the build next to the API; unknown paths stay 404 JSON', async () => {
    const home = await fetch(`${server.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await home.text()).toContain('<div id="root">');
    const script = await fetch(`${server.url}/assets/app-Abcdef12.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(await script.text()).toBe('export {}');
    for (const path of ['/v1/nope', '/v1', '/assets/missing-Abcdef12.js', '/ws', '/healthz/x']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toEqual({ error: 'No such route.', code: 'NOT_FOUND' });
    }
    // The API is untouched.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/sessions`)).status).toBe(200);
  });

  it('without a build, / says to run npm run build', async () => {
    const home = await fetch(`${bare.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('npm run build');
  });
});
