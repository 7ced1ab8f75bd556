import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Content types of the files a Vite build emits. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Vite names built assets `<name>-<content hash>.<ext>`: such a file never changes. */
const HASHED_ASSET = /^\/assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agent-sessions</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f2f2f2;padding:.1rem .3rem;border-radius:4px}</style>
</head><body>
<h1>agent-sessions</h1>
<p>The server is running, but the web UI has not been built.</p>
<p>Run <code>npm run build</code> in the repository, then reload this page.
The API is available under <code>/v1</code> and <code>/ws</code> in the meantime.</p>
</body></html>
`;

/** A static file answer (or the missing-build page). */
export interface WebUiResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export interface WebUi {
  /** The folder files are served from. */
  readonly distDir: string;
  /**
   * The answer for a GET of `pathname`, or null when no file matches (the caller answers
   * its usual 404). `/` is `index.html`; with no build at all `/` is a page saying to build.
   */
  serve(pathname: string): Promise<WebUiResponse | null>;
}

/**
 * Where the built web UI is by default: `packages/web/dist` next to this package, which is
 * the same relative path from `src/` (tests, tsx) and `dist/` (the built server), and from
 * `node_modules/@agent-sessions/server/*` to `node_modules/@agent-sessions/web/dist`.
 */
export function defaultWebDistDir(): string {
  return fileURLToPath(new URL('../../web/dist', import.meta.url));
}

/**
 * Serves the web chat UI (the Vite build of `packages/web`) as static files: correct content
 * types, `index.html` at `/`, long immutable caching for hashed `/assets/*` files and
 * revalidation for everything else (so a new build shows at the next load). Paths are
 * confined to `distDir` (no `..`, no dotfiles). Files are read per request, so rebuilding the
 * UI needs no restart.
 *
 * @example
 * ```ts
 * const web = createWebUi({ distDir: defaultWebDistDir() });
 * app.get('*', async (context) => {
 *   const answer = await web.serve(context.req.path);
 *   return answer ? context.body(answer.body, answer.status, answer.headers) : context.notFound();
 * });
 * ```
 */
export function createWebUi(options: { distDir?: string } = {}): WebUi {
  const distDir = resolve(options.distDir ?? defaultWebDistDir());

  async function fileAt(relative: string): Promise<Buffer | null> {
    const file = resolve(distDir, `.${relative}`);
    if (!file.startsWith(distDir + sep)) return null;
    try {
      const info = await stat(file);
      if (!info.isFile()) return null;
      return await readFile(file);
    } catch {
      return null;
    }
  }

  return {
    distDir,
    async serve(pathname): Promise<WebUiResponse | null> {
      let path: string;
      try {
        path = decodeURIComponent(pathname);
      } catch {
        return null;
      }
      if (path.includes('\0') || path.split('/').some((part) => part.startsWith('.'))) {
        return null;
      }
      const relative = path === '/' || path === '/index.html' ? '/index.html' : path;
      const body = await fileAt(relative);
      if (!body) {
        if (relative === '/index.html' && !existsSync(join(distDir, 'index.html'))) {
          const page: WebUiResponse = {
            status: 200,
            headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
            body: MISSING_BUILD_PAGE,
          };
          return page;
        }
        return null;
      }
      return {
        status: 200,
        headers: {
          'content-type':
            CONTENT_TYPES[extname(relative).toLowerCase()] ?? 'application/octet-stream',
          'cache-control': HASHED_ASSET.test(relative)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
          'x-content-type-options': 'nosniff',
        },
        body,
      };
    },
  };
}
