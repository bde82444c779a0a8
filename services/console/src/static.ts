import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CONTENT_SECURITY_POLICY, HTTP_ROUTES } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute, type HttpReply, type RouteBinding } from '@hub/http';

/**
 * The console's browser side, as services/console/ui builds it (`dist/`: `index.html` and `assets/<name>-<hash>.*`),
 * served at `/console/` with a strict Content-Security-Policy (only the hub's own scripts, styles, fonts and images;
 * nothing inline; never framed) and cache headers: the page is revalidated every time (`no-cache`), the hashed
 * assets are cached for a year (`immutable`). Only the content types below are served; anything else is 404.
 */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../ui/dist', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers every console file carries, beside the contract's cache-control. */
function secure(reply: HttpReply, contentType: string): void {
  void reply
    .header('content-type', contentType)
    .header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

async function file(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

export function staticRoutes(dir: string): RouteBinding[] {
  return [
    bindRoute(HTTP_ROUTES.getConsole, ({ reply }) => {
      void reply.header('location', '/console/');
      return Promise.resolve(undefined);
    }),

    bindRoute(HTTP_ROUTES.getConsolePage, async ({ reply }) => {
      const page = await file(join(dir, 'index.html'));
      if (page === undefined) throw new HubError('not-found', 'The console was not built (./hub console:build).');
      secure(reply, CONTENT_TYPES['.html'] ?? '');
      return page;
    }),

    bindRoute(HTTP_ROUTES.getConsoleAsset, async ({ params, reply }) => {
      // The contract lets no slash or leading dot through, so the name stays inside assets/.
      const type = CONTENT_TYPES[extname(params.file)];
      const body = type === undefined ? undefined : await file(join(dir, 'assets', params.file));
      if (type === undefined || body === undefined) throw new HubError('not-found', 'There is no such console file.');
      secure(reply, type);
      return body;
    }),
  ];
}
