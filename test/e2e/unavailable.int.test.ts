import { startTestHub, type TestHub } from '@hub/hub/testing';
import { parseHostPort, startTcpProxy, testEndpoints, type TcpProxy } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSearch, postIncident, waitForInbox } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

// The whole hub with Kafka and Redis each behind a proxy the test cuts: every write route (and every read that
// writes an audit record) must answer 503 not-ready problem+json with Retry-After, never a 500. Issue 8: the police
// gateway answered 8 incident POSTs with 500 while the broker was down.
let hub: TestHub;
let kafkaProxy: TcpProxy;
let redisProxy: TcpProxy;
const tokens: Record<string, string> = {};
let notificationId: string;

beforeAll(async () => {
  const endpoints = testEndpoints();
  kafkaProxy = await startTcpProxy(parseHostPort(endpoints.kafkaBrokers[0] ?? ''));
  const redis = new URL(endpoints.redisUrl);
  redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port) });
  hub = await startTestHub({ proxies: { kafkaProxyPort: kafkaProxy.port, redisProxyPort: redisProxy.port } });
}, 60_000);

afterAll(async () => {
  kafkaProxy.restore();
  redisProxy.restore();
  await hub.stop();
  await Promise.all([kafkaProxy.close(), redisProxy.close()]);
});

interface Call {
  readonly name: string;
  readonly client: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: unknown;
}

function writeRoutes(): Call[] {
  return [
    {
      name: 'POST /v1/domestic-abuse-incidents',
      client: 'police',
      method: 'POST',
      path: '/v1/domestic-abuse-incidents',
      body: whitlockIncident(),
    },
    {
      name: 'PUT /v1/child-protection-plans/{planId}',
      client: 'somersetLa',
      method: 'PUT',
      path: `/v1/child-protection-plans/CP-OUTAGE-${Math.random().toString(36).slice(2, 8)}`,
      body: {
        type: 'child-protection-plan',
        nhsNumber: '9991001034',
        startDate: '2026-11-20',
        contact: {
          team: 'Taunton children and families',
          officeHoursPhone: '01632 960100',
          outOfHoursPhone: '01632 960199',
        },
      },
    },
    {
      name: 'PUT /v1/fgm-indicators/{indicatorId}',
      client: 'gpOther',
      method: 'PUT',
      path: `/v1/fgm-indicators/FGM-OUTAGE-${Math.random().toString(36).slice(2, 8)}`,
      body: { nhsNumber: '9991003053', status: 'active' },
    },
    {
      name: 'GET /v1/child-protection-flags',
      client: 'edTaunton',
      method: 'GET',
      path: '/v1/child-protection-flags?nhsNumber=9991001034&settingOds=RZ901&settingType=emergency-department',
    },
    {
      name: 'GET /v1/inboxes/{recipient}/notifications',
      client: 'gpVictim',
      method: 'GET',
      path: '/v1/inboxes/gp:L85901/notifications?limit=10',
    },
    {
      name: 'POST /v1/inboxes/{recipient}/notifications/{notificationId}/acknowledgement',
      client: 'gpPerpetrator',
      method: 'POST',
      path: `/v1/inboxes/gp:L85904/notifications/${notificationId}/acknowledgement`,
    },
    { name: 'GET /v1/audit/events', client: 'igOfficer', method: 'GET', path: '/v1/audit/events?limit=10' },
  ];
}

async function send(call: Call) {
  const response = await fetch(`${hub.url}${call.path}`, {
    method: call.method,
    headers: {
      authorization: `Bearer ${tokens[call.client] ?? ''}`,
      ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
  });
  const text = await response.text();
  return {
    name: call.name,
    status: response.status,
    contentType: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    code: response.status >= 400 ? (JSON.parse(text) as { code?: string }).code : undefined,
  };
}

const NOT_READY = { status: 503, contentType: 'application/problem+json', retryAfter: '5', code: 'not-ready' };

describe('while everything is up', () => {
  it('delivers a notification to fetch and acknowledge, and issues the tokens the outage tests use', async () => {
    await postIncident(hub, whitlockIncident());
    const [item] = await waitForInbox(hub, 'gpPerpetrator', 'gp:L85904', 1);
    notificationId = item?.id ?? '';
    expect(notificationId).not.toBe('');
    // The victim's practice inbox is left unread (reading marks items fetched): its first read writes an audit
    // record, so it depends on Kafka. Waited for through the audit trail instead.
    await expect
      .poll(
        async () =>
          (await auditSearch(hub, { recipient: 'gp:L85901' })).some((event) => event.action === 'notification-stored'),
        { timeout: 20_000, interval: 250 },
      )
      .toBe(true);
    // Tokens first: the token endpoint itself needs Redis (replay cache) and Kafka (audit).
    for (const client of ['police', 'somersetLa', 'gpOther', 'edTaunton', 'gpPerpetrator', 'gpVictim', 'igOfficer']) {
      tokens[client] = await hub.token(client);
    }
  }, 60_000);
});

/**
 * For a failure's report: what the hub's unexpected errors were (the error's type and the first frames of its stack,
 * and the route), and which errors kafkajs let out under a name not its own. Never record content.
 */
function unexpectedErrors(): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return JSON.stringify(
    hub.logs
      .lines()
      .filter((line) => /unexpected error|error of its own kind/.test(text(line['msg'])))
      .map((line) => {
        const err = (line['err'] ?? {}) as Record<string, unknown>;
        const stack = text(err['stack']).split('\n').slice(0, 6).join(' | ');
        return `${text(line['route'])} ${text(err['type'])} ${text(line['errorName'])} ${stack}`;
      }),
  );
}

describe('with the Kafka broker cut off', () => {
  it('every write route answers 503 not-ready problem+json with Retry-After, never 500', async ({ annotate }) => {
    kafkaProxy.cut();
    try {
      const answers = await Promise.all(writeRoutes().map(send));
      if (answers.some((answer) => answer.status === 500)) await annotate(`unexpected: ${unexpectedErrors()}`);
      expect(answers).toEqual(writeRoutes().map((call) => ({ name: call.name, ...NOT_READY })));
    } finally {
      kafkaProxy.restore();
    }
  }, 60_000);
});

describe('with Redis cut off', () => {
  it('routes that depend on Redis answer 503 not-ready problem+json with Retry-After; none answers 500', async () => {
    redisProxy.cut();
    try {
      const answers = await Promise.all(writeRoutes().map(send));
      for (const answer of answers) {
        expect(answer.status, answer.name).not.toBe(500);
        if (answer.status >= 400) expect(answer, answer.name).toEqual({ name: answer.name, ...NOT_READY });
      }
      // The inbox and the audit store are Redis views: these cannot be answered without it.
      const dependent = answers.filter((answer) => /inboxes|audit/.test(answer.name));
      expect(dependent.map((answer) => answer.status)).toEqual([503, 503, 503]);
    } finally {
      redisProxy.restore();
    }
  }, 60_000);
});
