import { ALL_HTTP_ROUTES, ALL_STEPS, HUB_VIEW_NAMES, type TopicSpec } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncident, readInbox, waitForInbox } from './flow.ts';
import { freePort } from './hub-process.ts';
import { whitlockIncident } from './whitlock.ts';

/*
 * Issue 12 item 4: the whole hub with METRICS_PORT set, real traffic carrying names, NHS numbers, dates of birth and
 * postcodes, then a scrape of /metrics on its own port: the series an operator needs are there with sane values, and
 * nothing a client sent (personal data, path parameters, query strings, tokens) is in any of them.
 */

let hub: TestHub;
let metricsUrl: string;
beforeAll(async () => {
  const port = await freePort();
  hub = await startTestHub({ env: { METRICS_PORT: String(port) } });
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
});
afterAll(async () => {
  await hub.stop();
});

interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The sample lines of a Prometheus text exposition. */
function parseExposition(text: string): Series[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not an exposition line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => [name!, value!]),
      );
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

async function scrape(): Promise<{ text: string; series: Series[] }> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, series: parseExposition(text) };
}

const find = (series: readonly Series[], name: string, labels: Record<string, string>) =>
  series.filter(
    (one) => one.name === name && Object.entries(labels).every(([label, value]) => one.labels[label] === value),
  );

/** Every consumer group of the hub and the topic it reads. */
/** The groups a running hub consumes with (a rebuild-only projector runs, and has a lag, only in a view's build). */
const GROUPS: readonly { readonly group: string; readonly topic: TopicSpec }[] = ALL_STEPS.flatMap((step) =>
  step.kind === 'stage' || (step.kind === 'projector' && step.rebuildOnly !== true)
    ? [{ group: step.groupId, topic: step.input }]
    : [],
);

describe('/metrics after a run with real data', () => {
  const incident = whitlockIncident();
  /** What clients sent or were given that must appear in no series. */
  const secrets: string[] = [];
  let receiptId: string;

  it('runs: an incident through to its inboxes, a fetch, an acknowledgement, a status, a look-up', async () => {
    const receipt = await postIncident(hub, incident);
    receiptId = receipt.receiptId;
    await waitForInbox(hub, 'gpVictim', 'gp:L85901', 2);
    await waitForInbox(hub, 'gpOther', 'gp:L85902', 1);
    const [item] = await waitForInbox(hub, 'gpPerpetrator', 'gp:L85904', 1);
    const ack = await hub.call('gpPerpetrator', `/v1/inboxes/gp:L85904/notifications/${item!.id}/acknowledgement`, {
      method: 'POST',
    });
    expect(ack.status).toBe(200);
    // A token used directly, so the test knows it; the receipt status with the receipt id in the path.
    const token = await hub.token('police');
    const status = await fetch(`${hub.url}/v1/domestic-abuse-incidents/${receiptId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(status.status).toBe(200);
    // An NHS number in a query string, and one in an unknown path (404: its path is never a label).
    const lookUp = await hub.call(
      'edTaunton',
      '/v1/child-protection-flags?nhsNumber=9991001042&settingOds=RZ901&settingType=emergency-department',
    );
    expect(lookUp.status).toBeLessThan(500);
    expect((await fetch(`${hub.url}/v1/patients/9991001018?name=Sarah+Whitlock`)).status).toBe(404);
    const items = await readInbox(hub, 'gpVictim', 'gp:L85901');
    secrets.push(
      token,
      ...token.split('.'),
      incident.incidentId,
      receiptId,
      ...items.map((one) => one.id),
      item!.id,
      'gp:L85901',
      'gp:L85904',
      'RZ901',
      incident.officer.name,
      incident.officer.collarNumber,
      'kitchen',
    );
    for (const subject of incident.subjects) {
      secrets.push(subject.name.given, subject.name.family, subject.birthDate);
      if (subject.nhsNumber !== undefined) secrets.push(subject.nhsNumber);
      if (subject.postcode !== undefined) secrets.push(subject.postcode, subject.postcode.replace(' ', ''));
    }
    secrets.push('9991001034'); // Mia, traced by demographics: in the record, never sent by the force
  });

  it('has a lag series for each partition of every consumer group the hub runs, none negative', async () => {
    await expect
      .poll(
        async () => {
          const { series } = await scrape();
          return GROUPS.filter(({ group }) => find(series, 'hub_kafka_consumer_lag', { group }).length === 0).map(
            ({ group }) => group,
          );
        },
        { timeout: 30_000, interval: 500 },
      )
      .toEqual([]);
    const { series } = await scrape();
    for (const { group, topic } of GROUPS) {
      const lags = find(series, 'hub_kafka_consumer_lag', { group });
      expect(lags.map((one) => one.labels['topic'])).toEqual(lags.map(() => topic.name));
      expect(lags.map((one) => Number(one.labels['partition'])).sort((a, b) => a - b)).toEqual(
        Array.from({ length: topic.partitions }, (_, partition) => partition),
      );
      for (const lag of lags) {
        expect(Number.isInteger(lag.value) && lag.value >= 0, `${group} lag ${lag.value}`).toBe(true);
      }
    }
  });

  it("reports each step's committed offsets and each input topic's dead letters: none after a clean run", async () => {
    // Offsets are read on the lag poll's schedule: the first reading may predate identity's first commit.
    await expect
      .poll(
        async () =>
          find((await scrape()).series, 'hub_kafka_consumer_committed_offset', { group: 'identity' }).reduce(
            (sum, one) => sum + one.value,
            0,
          ),
        { timeout: 30_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(1);
    const { series } = await scrape();
    const inputs = new Set(GROUPS.map(({ topic }) => topic.name));
    const dead = find(series, 'hub_dead_letter_records', {});
    expect(dead.filter((one) => one.value !== 0)).toEqual([]);
    expect(dead.map((one) => one.labels['topic'])).toContain('da.incident-received.v1');
    for (const one of dead) expect(inputs.has(one.labels['topic'] ?? '')).toBe(true);
  });

  it('counts HTTP requests by route template, method and status, with latencies', async () => {
    const { series } = await scrape();
    const count = (route: string, method: string, status: string) =>
      find(series, 'hub_http_request_duration_seconds_count', { route, method, status })[0]?.value ?? 0;
    expect(count('/v1/domestic-abuse-incidents', 'POST', '202')).toBe(1);
    expect(count('/v1/domestic-abuse-incidents/{receiptId}', 'GET', '200')).toBe(1);
    expect(count('/v1/inboxes/{recipient}/notifications/{id}/acknowledgement', 'POST', '200')).toBe(1);
    expect(count('/v1/inboxes/{recipient}/notifications', 'GET', '200')).toBeGreaterThanOrEqual(8);
    expect(count('/oauth2/token', 'POST', '200')).toBeGreaterThanOrEqual(10);
    expect(count('unmatched', 'GET', '404')).toBe(1);
    // Latencies: the +Inf bucket holds every request, and the sum is positive.
    const inf = find(series, 'hub_http_request_duration_seconds_bucket', {
      route: '/v1/domestic-abuse-incidents',
      method: 'POST',
      status: '202',
      le: '+Inf',
    });
    expect(inf.map((one) => one.value)).toEqual([1]);
    const sum = find(series, 'hub_http_request_duration_seconds_sum', { route: '/v1/domestic-abuse-incidents' });
    expect(sum[0]?.value).toBeGreaterThan(0);
    // Every route label is a contract template or `unmatched`.
    const templates = new Set([...ALL_HTTP_ROUTES.map((route) => route.path), 'unmatched']);
    const routes = new Set(
      series.filter((one) => one.labels['route'] !== undefined).map((one) => one.labels['route']!),
    );
    expect([...routes].filter((route) => !templates.has(route))).toEqual([]);
  });

  it("counts each stage's inputs, outputs, dead letters and transactions", async () => {
    const { series } = await scrape();
    const value = (name: string, group: string) => find(series, name, { group })[0]?.value;
    // One incident: one input each for the identity, IG and dispatch stages, five notifications stored.
    for (const group of ['identity', 'ig-engine', 'dispatcher']) {
      expect(value('hub_stage_inputs_total', group), group).toBe(1);
      expect(value('hub_stage_outputs_total', group), group).toBeGreaterThanOrEqual(1);
      expect(value('hub_stage_dead_letters_total', group), group).toBe(0);
      expect(value('hub_stage_batch_size_count', group), group).toBeGreaterThanOrEqual(1);
      expect(value('hub_stage_transaction_duration_seconds_count', group), group).toBeGreaterThanOrEqual(1);
    }
    expect(value('hub_stage_outputs_total', 'dispatcher')).toBeGreaterThanOrEqual(5);
    expect(value('hub_stage_inputs_total', 'inbox-store')).toBeGreaterThanOrEqual(5);
    expect(value('hub_stage_transaction_duration_seconds_sum', 'inbox-store')).toBeGreaterThan(0);
    // Projectors write no topic: no stage series.
    expect(find(series, 'hub_stage_inputs_total', { group: 'audit-store' })).toEqual([]);
  });

  it("shows each view's state: ready, exactly one state per view", async () => {
    const { series } = await scrape();
    for (const view of HUB_VIEW_NAMES) {
      const states = find(series, 'hub_view_state', { view });
      expect(Object.fromEntries(states.map((one) => [one.labels['state'], one.value]))).toEqual({
        ready: 1,
        rebuilding: 0,
        unchecked: 0,
      });
    }
  });

  it('counts notifications by deadline state (none overdue right after a run), deployment-wide', async () => {
    const { series } = await scrape();
    const states = find(series, 'hub_notifications', {});
    expect(Object.fromEntries(states.map((one) => [one.labels['notification_state'], one.value]))).toEqual({
      overdue: 0,
      escalated: 0,
      'not-delivered': 0,
    });
    expect(find(series, 'hub_metrics_reading_failures_total', {})[0]?.value).toBe(0);
  });

  it('holds no personal data, no path parameter, no query string and no token', async () => {
    const { text } = await scrape();
    expect(secrets.length).toBeGreaterThan(20);
    const found = secrets.filter((secret) => text.includes(secret));
    expect(found).toEqual([]);
    // The traffic did reach the metrics (an empty exposition would pass the check above).
    expect(text).toContain('route="/v1/inboxes/{recipient}/notifications"');
  });

  it('is served on its own port only: the public API answers 404 for /metrics', async () => {
    const publicResponse = await fetch(`${hub.url}/metrics`);
    expect(publicResponse.status).toBe(404);
    expect(await publicResponse.text()).not.toContain('hub_http_request_duration_seconds');
    expect(new URL(hub.url).port).not.toBe(new URL(metricsUrl).port);
    // The metrics listener serves nothing else, and only reads.
    expect((await fetch(metricsUrl.replace('/metrics', '/health/ready'))).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST', body: 'x' })).status).toBe(405);
  });
});
