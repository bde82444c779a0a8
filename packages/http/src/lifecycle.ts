import type { AddressInfo } from 'node:net';
import type { HttpServer } from './server.ts';

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port; the bound one is returned. */
  readonly port: number;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

/** Starts listening and returns the address actually bound. */
export async function listen(app: HttpServer, options: ListenOptions): Promise<BoundAddress> {
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { host: address.address, port: address.port, url: `http://${host}:${address.port}` };
}

export interface CloseOutcome {
  /** True when requests were still running at the deadline and their connections were cut. */
  readonly forced: boolean;
}

/**
 * Stops accepting connections, lets in-flight requests finish, and answers 503 `not-ready` to any new request on
 * an already open connection. After `timeoutMs`, remaining connections are destroyed and close completes anyway.
 */
export async function closeGracefully(app: HttpServer, timeoutMs: number): Promise<CloseOutcome> {
  const closed = app.close().then(() => 'closed' as const);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => {
      resolve('deadline');
    }, timeoutMs);
  });
  try {
    if ((await Promise.race([closed, deadline])) === 'closed') return { forced: false };
  } finally {
    clearTimeout(timer);
  }
  app.log.warn({ timeoutMs }, 'graceful close deadline passed; closing remaining connections');
  app.server.closeAllConnections();
  await closed;
  return { forced: true };
}
