import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './registry.ts';
import { serveMetrics, type MetricsServer } from './server.ts';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('serveMetrics', () => {
  it('answers GET /metrics with the exposition, on the host it was given', async () => {
    const metrics = createMetrics();
    metrics.viewState.set({ view: 'inbox', state: 'ready' }, 1);
    server = await serveMetrics(metrics, { host: '127.0.0.1', port: 0 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toContain('hub_view_state{view="inbox",state="ready"} 1');
  });

  it('serves nothing else: other paths 404, other methods 405', async () => {
    server = await serveMetrics(createMetrics(), { host: '127.0.0.1', port: 0 });
    const base = server.url.replace('/metrics', '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    expect((await fetch(`${base}/v1/inboxes/gp:L85901/notifications`)).status).toBe(404);
    expect((await fetch(`${server.url}?name[]=x`)).status).toBe(200);
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('answers a failed scrape 500 without its detail, and tells onError', async () => {
    const metrics = createMetrics();
    metrics.beforeScrape(() => {
      throw new Error('collector failed on 9991001018');
    });
    const errors: unknown[] = [];
    server = await serveMetrics(metrics, { host: '127.0.0.1', port: 0, onError: (error) => errors.push(error) });
    const response = await fetch(server.url);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('metrics unavailable\n');
    expect(errors).toHaveLength(1);
  });

  it('refuses to start on a port already taken', async () => {
    server = await serveMetrics(createMetrics(), { host: '127.0.0.1', port: 0 });
    await expect(serveMetrics(createMetrics(), { host: '127.0.0.1', port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
