import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebUi } from './web-ui.js';

describe('createWebUi', () => {
  let root: string;
  let distDir: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-sessions-web-ui-'));
    distDir = join(root, 'dist');
    await mkdir(join(distDir, 'assets'), { recursive: true });
    await writeFile(join(distDir, 'index.html'), '<div id="root"></div>');
    await writeFile(join(distDir, 'assets', 'index-BaE2yOhg.js'), 'console.log(1)');
    await writeFile(join(distDir, 'assets', 'index-U0qQb4Gw.css'), 'body{}');
    await writeFile(join(distDir, 'favicon.svg'), '<svg/>');
    await writeFile(join(distDir, '.env'), 'SECRET=1');
    await writeFile(join(root, 'outside.txt'), 'outside');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('serves index.html at / with revalidation, hashed assets as immutable, with content types', async () => {
    const web = createWebUi({ distDir });
    const home = await web.serve('/');
    expect(home?.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(home?.headers['cache-control']).toBe('no-cache');
    expect(String(home?.body)).toContain('<div id="root">');
    const script = await web.serve('/assets/index-BaE2yOhg.js');
    expect(script?.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script?.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const style = await web.serve('/assets/index-U0qQb4Gw.css');
    expect(style?.headers['content-type']).toBe('text/css; charset=utf-8');
    const icon = await web.serve('/favicon.svg');
    expect(icon?.headers['content-type']).toBe('image/svg+xml');
    expect(icon?.headers['cache-control']).toBe('no-cache');
  });

  it('answers null for unknown files, dotfiles and paths leaving the folder', async () => {
    const web = createWebUi({ distDir });
    expect(await web.serve('/nope.js')).toBeNull();
    expect(await web.serve('/assets')).toBeNull();
    expect(await web.serve('/.env')).toBeNull();
    expect(await web.serve('/../outside.txt')).toBeNull();
    expect(await web.serve('/%2e%2e/outside.txt')).toBeNull();
    expect(await web.serve('/assets/%2e%2e/%2e%2e/outside.txt')).toBeNull();
    expect(await web.serve('/%E0%A4%A')).toBeNull();
  });

  it('without a build, / is a page saying to run npm run build', async () => {
    const web = createWebUi({ distDir: join(root, 'missing') });
    const home = await web.serve('/');
    expect(home?.status).toBe(200);
    expect(home?.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(home?.body)).toContain('npm run build');
    expect(await web.serve('/assets/index-BaE2yOhg.js')).toBeNull();
  });
});
