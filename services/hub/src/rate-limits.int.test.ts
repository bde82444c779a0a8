import { createTestClient, signClientAssertion, tokenRequestBody, type TestClient } from '@hub/auth/testing';
import type { AuditEvent } from '@hub/contracts';
import type { HttpServer } from '@hub/http';
import { createInboxService } from '@hub/inbox';
import { createRuntime, type HubConfig, type Runtime } from '@hub/runtime';
import { startRouteHarness, type RouteHarness, type TestApp } from '@hub/runtime/testing';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Rate limits on a real runtime (real Redis, real auth, real audit topic): per client after the guard, per source
 * address for requests that prove nobody and for token requests; 429 problem+json with Retry-After; shared by the
 * instances of a deployment; refusals over a limit reported once per source per window, never one by one.
 */

const PER_CLIENT = 5;
const PER_ADDRESS = 5;
const TOKEN_REQUESTS = 8;

const gp = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });
const otherGp = createTestClient({ clientId: 'gp-b82002', role: 'gp', organisation: 'B82002' });
const police = createTestClient({ clientId: 'police-asp', role: 'police', organisation: 'ASP' });
/** A role without inboxes: the inbox routes refuse it 403 (a police force has its own inbox, so it gets 404). */
const ed = createTestClient({ clientId: 'ed-rz9', role: 'unscheduled-care', organisation: 'RZ9' });

/** Documentation addresses (RFC 5737, RFC 3849): each test floods from its own. None may reach a log line. */
const ADDRESSES = {
  flood: '203.0.113.7',
  tokens: '198.51.100.23',
  otherTokens: '198.51.100.99',
  junkTokens: '192.0.2.44',
  ipv6: '2001:db8:aa:bb::5',
  probes: '192.0.2.200',
  windows: '2001:db8:cc::9',
  gateway: '192.0.2.1',
  behindGateway: '203.0.113.50',
  alsoBehindGateway: '203.0.113.51',
  notAGateway: '198.51.100.77',
} as const;

let h: RouteHarness;
let second: TestApp;

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'inbox',
    clients: [gp, otherGp, police, ed],
    services: [createInboxService],
    env: {
      HTTP_RATE_LIMIT_PER_CLIENT_PER_MINUTE: String(PER_CLIENT),
      HTTP_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: String(PER_ADDRESS),
      HTTP_RATE_LIMIT_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE: String(TOKEN_REQUESTS),
      HTTP_TRUSTED_PROXIES: `${ADDRESSES.gateway}/32`,
    },
  });
  // A second runtime of the same deployment (same Redis, same keys and clients).
  second = await h.withoutKafka();
});

afterAll(async () => {
  const text = h.logs.text();
  for (const address of Object.values(ADDRESSES)) expect(text).not.toContain(address);
  for (const network of ['203.0.113.', '198.51.100.', '192.0.2.', '2001:db8']) expect(text).not.toContain(network);
  for (const token of await h.tokens()) expect(text).not.toContain(token);
  await h.close();
});

const inboxOf = (client: TestClient) => `/v1/inboxes/gp:${client.organisation}/notifications`;

/**
 * Another runtime of the same deployment (same Redis, Kafka, keys and clients), with its own instance name: stopping
 * it reports its pending refusals at once, so a test sees a window's report without waiting for the window to end.
 */
function runtimeOfTheDeployment(name: string, config: Partial<HubConfig> = {}): Promise<Runtime> {
  return createRuntime({
    name: 'inbox',
    config: { ...h.deps.config, KAFKA_INSTANCE_NAME: uniqueId(name), ...config },
    logger: h.logs.logger,
    services: [createInboxService],
  });
}

/** The `rate-limited` events of one budget for one network, as the trail records them. */
const rateLimitedFrom = (limit: string, network: string) => (event: AuditEvent) =>
  event.action === 'rate-limited' && event.reason === `rate-limit:${limit}` && event.sourceNetwork === network;

async function as(
  app: HttpServer,
  token: string | null,
  url: string,
  remoteAddress = '127.0.0.1',
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'GET',
    url,
    remoteAddress,
    headers: { ...headers, ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
  });
}

function tokenRequest(app: HttpServer, body: string, remoteAddress: string) {
  return app.inject({
    method: 'POST',
    url: '/oauth2/token',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body,
  });
}

/** A 429 as every limit answers it: the hub's problem shape, Retry-After within the window, nothing of the request. */
function expectRateLimited(response: Awaited<ReturnType<HttpServer['inject']>>, forbidden: readonly string[]) {
  expect(response.statusCode).toBe(429);
  expect(response.headers['content-type']).toBe('application/problem+json');
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 61).toBe(true);
  expect(response.headers['www-authenticate']).toBeUndefined();
  const body = response.json<Record<string, unknown>>();
  expect(body).toMatchObject({
    type: 'https://safeguarding-hub.invalid/problems/too-many-requests',
    title: 'Too many requests',
    status: 429,
    code: 'too-many-requests',
    detail: 'Too many requests from this source; retry after the time in Retry-After.',
  });
  expect(Object.keys(body).sort()).toEqual(
    ['code', 'detail', 'requestId', 'status', 'title', 'type', ...('instance' in body ? ['instance'] : [])].sort(),
  );
  for (const text of forbidden) expect(response.body).not.toContain(text);
}

describe('per client, after the guard', () => {
  it('answers the N+1th request of a window 429 on every instance, and leaves another client alone', async () => {
    const token = await h.token(gp);
    for (let i = 0; i < PER_CLIENT; i += 1) {
      expect((await as(h.http, token, inboxOf(gp))).statusCode).toBe(200);
    }
    const refused = await as(h.http, token, inboxOf(gp));
    expectRateLimited(refused, [token, gp.clientId, gp.organisation]);
    expect(refused.json<{ instance: string }>().instance).toBe('/v1/inboxes/{recipient}/notifications');

    // The other instance counts in the same Redis: its first request of this client is already over the limit.
    expectRateLimited(await as(second.http, token, inboxOf(gp)), [token]);

    // Counted under the deployment's key prefix (HUB_CACHES `rate-limits`).
    expect(await h.runtime.redis.exists(`rate-limit:client:${gp.clientId}`)).toBe(1);

    // Another client has its own budget.
    const otherToken = await h.token(otherGp);
    expect((await as(h.http, otherToken, inboxOf(otherGp))).statusCode).toBe(200);
  });
});

describe('per source address, for requests that prove nobody', () => {
  it('audits a flood of 200 refused requests as the first few refusals and one event with the count', async () => {
    const flooded = await runtimeOfTheDeployment('flood');
    const deniedBefore = h.audited.filter(({ value }) => value.action === 'access-denied').length;
    const statuses: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const junk = i % 2 === 0 ? null : `junk.${String(i)}.token`;
      const response = await as(flooded.http, junk, inboxOf(gp), ADDRESSES.flood);
      statuses.push(response.statusCode);
      if (response.statusCode === 429) expectRateLimited(response, ['junk.', ADDRESSES.flood]);
    }
    expect(statuses.filter((status) => status === 401)).toHaveLength(PER_ADDRESS);
    expect(statuses.filter((status) => status === 429)).toHaveLength(200 - PER_ADDRESS);

    // A client refused 403 (a role the route does not admit) spends its own budget, and is reported by name.
    const edToken = await h.token(ed);
    const forbidden: number[] = [];
    for (let i = 0; i < 3 * PER_CLIENT; i += 1) {
      forbidden.push((await as(flooded.http, edToken, inboxOf(gp), ADDRESSES.flood)).statusCode);
    }
    expect(forbidden).toEqual([...Array<number>(PER_CLIENT).fill(403), ...Array<number>(2 * PER_CLIENT).fill(429)]);

    // Valid tokens never spend the address's budget: a client behind the flooded address is served.
    const token = await h.token(otherGp);
    expect((await as(h.http, token, inboxOf(otherGp), ADDRESSES.flood)).statusCode).not.toBe(429);

    await flooded.stop();
    const [report] = await h.auditedWhere(rateLimitedFrom('address', '203.0.113.0/24'), 1);
    expect(report).toMatchObject({
      service: 'auth',
      actor: null,
      refusedCount: 200 - PER_ADDRESS,
      sourceNetwork: '203.0.113.0/24',
    });
    expect(JSON.stringify(report)).not.toContain(ADDRESSES.flood);
    const [clientReport] = await h.auditedWhere(
      (event) =>
        event.action === 'rate-limited' &&
        event.reason === 'rate-limit:client' &&
        event.actor?.clientId === ed.clientId,
      1,
    );
    expect(clientReport).toMatchObject({
      actor: { clientId: ed.clientId, role: 'unscheduled-care', organisation: 'RZ9' },
      refusedCount: 2 * PER_CLIENT,
    });
    expect(clientReport?.sourceNetwork).toBeUndefined();
    // One by one: only the refusals within the budgets (401s of the address, 403s of the client).
    const denied = h.audited.filter(({ value }) => value.action === 'access-denied').length - deniedBefore;
    expect(denied).toBe(PER_ADDRESS + PER_CLIENT);
    expect(
      h.audited.filter(({ value }) => value.action === 'rate-limited' && value.reason === 'rate-limit:address'),
    ).toHaveLength(1);
  });

  it('reports a flood over two windows as exactly one event per window, each when its window ends', async () => {
    // Windows of 2 s, so the test sees them end: the first report comes from its timer, the second at stop.
    const windowed = await runtimeOfTheDeployment('windows', { HTTP_RATE_LIMIT_WINDOW_SECONDS: 2 });
    const network = '2001:db8:cc::/48';
    const flood = async (requests: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < requests; i += 1) {
        statuses.push((await as(windowed.http, null, `/v1/flooded/${String(i)}`, ADDRESSES.windows)).statusCode);
      }
      return statuses;
    };
    try {
      expect(await flood(PER_ADDRESS + 3)).toEqual([...Array<number>(PER_ADDRESS).fill(404), 429, 429, 429]);
      // Reported once the window is over (and a second for the refusals answered at its very end), not at stop.
      const [first] = await h.auditedWhere(rateLimitedFrom('address', network), 1);
      expect(first).toMatchObject({ service: 'auth', actor: null, refusedCount: 3, sourceNetwork: network });
      // A new window: the budget is whole again, and its refusals make a report of their own.
      expect(await flood(PER_ADDRESS + 4)).toEqual([...Array<number>(PER_ADDRESS).fill(404), 429, 429, 429, 429]);
    } finally {
      await windowed.stop();
    }
    const reports = await h.auditedWhere(rateLimitedFrom('address', network), 2);
    expect(reports.map((event) => event.refusedCount)).toEqual([3, 4]);
  });

  it('limits unknown paths from one address too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= PER_ADDRESS; i += 1) {
      statuses.push((await as(h.http, null, `/v1/nothing-here/${String(i)}`, ADDRESSES.ipv6)).statusCode);
    }
    expect(statuses).toEqual([...Array<number>(PER_ADDRESS).fill(404), 429]);
  });

  it("counts behind a trusted gateway by the address it forwards, and ignores anyone else's X-Forwarded-For", async () => {
    const unknownPath = (remote: string, forwarded: string) =>
      as(h.http, null, '/v1/unknown', remote, { 'x-forwarded-for': forwarded }).then((response) => response.statusCode);
    const behind: number[] = [];
    for (let i = 0; i <= PER_ADDRESS; i += 1)
      behind.push(await unknownPath(ADDRESSES.gateway, ADDRESSES.behindGateway));
    expect(behind).toEqual([...Array<number>(PER_ADDRESS).fill(404), 429]);
    // Another client behind the same gateway has its own budget.
    expect(await unknownPath(ADDRESSES.gateway, ADDRESSES.alsoBehindGateway)).toBe(404);

    // A peer that is not a trusted gateway is counted as itself, whatever it claims to forward.
    const rotating: number[] = [];
    for (let i = 0; i <= PER_ADDRESS; i += 1) {
      rotating.push(await unknownPath(ADDRESSES.notAGateway, `203.0.113.${String(100 + i)}`));
    }
    expect(rotating).toEqual([...Array<number>(PER_ADDRESS).fill(404), 429]);
  });

  it('never limits the health probes or the JWKS, even from a flooded address', async () => {
    const unknown: number[] = [];
    for (let i = 0; i <= PER_ADDRESS; i += 1) {
      unknown.push((await as(h.http, null, '/v1/none', ADDRESSES.probes)).statusCode);
    }
    expect(unknown.at(-1)).toBe(429);
    for (let i = 0; i < 3 * PER_ADDRESS; i += 1) {
      expect((await as(h.http, null, '/health/live', ADDRESSES.probes)).statusCode).toBe(200);
      expect((await as(h.http, null, '/health/ready', ADDRESSES.probes)).statusCode).not.toBe(429);
      expect((await as(h.http, null, '/.well-known/jwks.json', ADDRESSES.probes)).statusCode).toBe(200);
    }
  });
});

describe('the token endpoint, per source address', () => {
  it('answers 429 after the limit of token requests from one address, shared by instances; another address is served', async () => {
    const fresh = () => tokenRequestBody(signClientAssertion(police, h.deps.config.HUB_TOKEN_URL));
    for (let i = 0; i < TOKEN_REQUESTS - 1; i += 1) {
      expect((await tokenRequest(h.http, fresh(), ADDRESSES.tokens)).statusCode).toBe(200);
    }
    // The last one allowed, on the other instance.
    expect((await tokenRequest(second.http, fresh(), ADDRESSES.tokens)).statusCode).not.toBe(429);
    const body = fresh();
    const refused = await tokenRequest(h.http, body, ADDRESSES.tokens);
    expectRateLimited(refused, [body.slice(0, 200), police.clientId, ADDRESSES.tokens]);
    expect(refused.json<{ instance: string }>().instance).toBe('/oauth2/token');
    expect((await tokenRequest(h.http, fresh(), ADDRESSES.otherTokens)).statusCode).toBe(200);
  });

  it("audits junk token requests one by one only up to the address budget, then each budget's refusals as one event", async () => {
    // Its own runtime of the deployment, so that stopping it reports the window's refusals at once.
    const junked = await runtimeOfTheDeployment('junk-tokens');
    const refusedBefore = h.audited.filter(({ value }) => value.action === 'token-refused').length;
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 3 * PER_ADDRESS; i += 1) {
        const junk = `grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=junk${String(i)}`;
        statuses.push((await tokenRequest(junked.http, junk, ADDRESSES.junkTokens)).statusCode);
      }
    } finally {
      await junked.stop();
    }
    expect(statuses).toEqual([...Array<number>(PER_ADDRESS).fill(401), ...Array<number>(2 * PER_ADDRESS).fill(429)]);
    const audited: AuditEvent[] = await h.auditedWhere(
      (event) => event.action === 'token-refused',
      refusedBefore + PER_ADDRESS,
    );
    expect(audited).toHaveLength(refusedBefore + PER_ADDRESS);
    // Past the address budget, refused 429 as junk (the address's) until the token budget is spent too; then refused
    // before the body is read (the token budget's). Each budget reports its count once, naming the network only.
    const [tokenReport] = await h.auditedWhere(rateLimitedFrom('token', '192.0.2.0/24'), 1);
    expect(tokenReport).toMatchObject({
      service: 'auth',
      action: 'rate-limited',
      reason: 'rate-limit:token',
      actor: null,
      refusedCount: 3 * PER_ADDRESS - TOKEN_REQUESTS,
      sourceNetwork: '192.0.2.0/24',
    });
    expect(JSON.stringify(tokenReport)).not.toContain(ADDRESSES.junkTokens);
    const [addressReport] = await h.auditedWhere(rateLimitedFrom('address', '192.0.2.0/24'), 1);
    expect(addressReport).toMatchObject({ refusedCount: TOKEN_REQUESTS - PER_ADDRESS });
    expect(h.audited.filter(({ value }) => rateLimitedFrom('token', '192.0.2.0/24')(value))).toHaveLength(1);
  });
});
