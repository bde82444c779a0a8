import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HubMetrics } from './registry.ts';

/** Where the exposition is served; only `GET /metrics`. */
export const METRICS_PATH = '/metrics';

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A scrape reads no body and sends none: short limits. */
const LIMITS = { requestTimeoutMs: 5_000, headersTimeoutMs: 5_000, maxHeaderSizeBytes: 8 * 1024 } as const;

/**
 * Serves `GET /metrics` on a listener of its own (`METRICS_HOST`:`METRICS_PORT`), never on the public API's: the
 * series are for operators, and the address is reachable only where the deployment lets a scraper in. Plain
 * `node:http`: one read-only path needs no framework; anything else is 404 (another method 405), with no body read.
 */
export async function serveMetrics(
  metrics: HubMetrics,
  options: { readonly host: string; readonly port: number; readonly onError?: (error: unknown) => void },
): Promise<MetricsServer> {
  const server: Server = createServer(
    {
      requestTimeout: LIMITS.requestTimeoutMs,
      headersTimeout: LIMITS.headersTimeoutMs,
      maxHeaderSize: LIMITS.maxHeaderSizeBytes,
    },
    (request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== METRICS_PATH) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' }).end();
        return;
      }
      metrics.exposition().then(
        ({ contentType, body }) => {
          response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
        },
        (error: unknown) => {
          options.onError?.(error);
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
        },
      );
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${METRICS_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
