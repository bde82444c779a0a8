import { describe, expect, it } from 'vitest';
import { MetricLabelError, methodLabel } from './labels.ts';
import { createMetrics } from './registry.ts';

const INBOX = '/v1/inboxes/{recipient}/notifications';

describe('createMetrics', () => {
  it('counts requests by route template, method and status in the text exposition', async () => {
    const metrics = createMetrics();
    metrics.httpRequestDuration.observe({ route: INBOX, method: 'GET', status: 200 }, 0.02);
    metrics.httpRequestDuration.observe({ route: INBOX, method: 'GET', status: 200 }, 0.3);
    const { contentType, body } = await metrics.exposition();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain(`hub_http_request_duration_seconds_count{route="${INBOX}",method="GET",status="200"} 2`);
    expect(body).toContain(
      `hub_http_request_duration_seconds_bucket{le="0.025",route="${INBOX}",method="GET",status="200"} 1`,
    );
    // Node's own process metrics come along.
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it.each([
    ['a raw path', { route: '/v1/inboxes/gp:L85901/notifications', method: 'GET', status: 200 }],
    ['an NHS number', { route: '9991001018', method: 'GET', status: 200 }],
    ['a bearer token', { route: INBOX, method: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig', status: 200 }],
    ['a status that is no code', { route: INBOX, method: 'GET', status: 2000 }],
  ])('refuses %s as a label value, and never says the value', (_what, labels) => {
    const metrics = createMetrics();
    let refused: unknown;
    try {
      metrics.httpRequestDuration.observe(labels, 0.01);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(MetricLabelError);
    const message = (refused as Error).message;
    expect(message).toMatch(/^metric hub_http_request_duration_seconds: label \w+ has a value outside its allow-list$/);
    for (const value of Object.values(labels)) {
      if (typeof value === 'string' && value !== 'GET' && value !== INBOX) expect(message).not.toContain(value);
    }
  });

  it('takes only declared groups, topics, views and states', async () => {
    const metrics = createMetrics();
    metrics.consumerLag.set({ group: 'identity', topic: 'da.incident-received.v1', partition: 2 }, 7);
    metrics.viewState.set({ view: 'inbox', state: 'ready' }, 1);
    expect(() => {
      metrics.consumerLag.set({ group: 'identity.rebuild-abc', topic: 'da.incident-received.v1', partition: 2 }, 1);
    }).toThrow(MetricLabelError);
    expect(() => {
      metrics.consumerLag.set({ group: 'identity', topic: 'test-ns.da.incident-received.v1', partition: 2 }, 1);
    }).toThrow(MetricLabelError);
    const { body } = await metrics.exposition();
    expect(body).toContain('hub_kafka_consumer_lag{group="identity",topic="da.incident-received.v1",partition="2"} 7');
    expect(body).toContain('hub_view_state{view="inbox",state="ready"} 1');
  });

  it('refuses labels the metric does not declare', () => {
    const metrics = createMetrics();
    const extra = { view: 'inbox', state: 'ready', nhsNumber: '9991001018' } as unknown as {
      view: 'inbox';
      state: 'ready';
    };
    expect(() => {
      metrics.viewState.set(extra, 1);
    }).toThrow(/takes exactly the labels view, state$/);
  });

  it('runs the collectors before each scrape, and a removed series is gone', async () => {
    const metrics = createMetrics();
    let read = 10;
    metrics.beforeScrape(() => {
      metrics.viewBuildEventsRead.set({ view: 'audit' }, read);
    });
    expect((await metrics.exposition()).body).toContain('hub_view_build_events_read{view="audit"} 10');
    read = 25;
    expect((await metrics.exposition()).body).toContain('hub_view_build_events_read{view="audit"} 25');
    metrics.viewBuildEventsRead.remove({ view: 'audit' });
    metrics.beforeScrape(() => {
      metrics.viewBuildEventsRead.remove({ view: 'audit' });
    });
    expect((await metrics.exposition()).body).not.toContain('hub_view_build_events_read{');
  });

  it('keeps each registry apart', async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.viewState.set({ view: 'inbox', state: 'rebuilding' }, 1);
    expect((await two.exposition()).body).not.toContain('hub_view_state{');
  });

  it('labels a method the hub serves as itself, anything else as other', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('PROPFIND')).toBe('other');
    expect(methodLabel('get')).toBe('other');
  });

  it('takes notification deadline states and label-less audit log gauges; nothing else as a state', async () => {
    const metrics = createMetrics();
    metrics.notifications.set({ notification_state: 'overdue' }, 2);
    metrics.notifications.set({ notification_state: 'not-delivered' }, 1);
    metrics.auditLogLeaves.set({}, 1234);
    metrics.auditLogCheckpointAge.set({}, 4.5);
    expect(() => {
      metrics.notifications.set({ notification_state: 'ready' as 'overdue' }, 1);
    }).toThrow(MetricLabelError);
    const { body } = await metrics.exposition();
    expect(body).toContain('hub_notifications{notification_state="overdue"} 2');
    expect(body).toContain('hub_notifications{notification_state="not-delivered"} 1');
    expect(body).toMatch(/^hub_audit_log_leaves 1234$/m);
    expect(body).toMatch(/^hub_audit_log_checkpoint_age_seconds 4\.5$/m);
  });

  it('awaits an async collector before answering', async () => {
    const metrics = createMetrics();
    metrics.beforeScrape(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      metrics.auditLogLeaves.set({}, 7);
    });
    expect((await metrics.exposition()).body).toMatch(/^hub_audit_log_leaves 7$/m);
  });
});
