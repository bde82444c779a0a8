/*
 * The IG console's server, end to end over real HTTP on the whole hub (real Kafka, Redis, PostgreSQL): local
 * sign-in, the session cookie, CSRF refusal, idle timeout, sign-out, sign-in limits, OpenID Connect against a real
 * provider (oidc-provider), the console's files, and, from real traffic, the timeline, a content view with its
 * reason on the audit trail, and the dashboard's numbers.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@hub/console';
import type { AuditEvent, ConsoleSession, ConsoleTimeline, SafeguardingDashboard } from '@hub/contracts';
import { startTestHub, VICTIM_NHS_NUMBER, victimOnlyIncident, type TestHub } from '@hub/hub/testing';
import { postIncident, waitForInbox } from './flow.ts';
import { browse, CookieJar, freePort, signInThrough, startTestProvider, type TestProvider } from './oidc-provider.ts';

const PASSWORD = {
  somerset: 'somerset-officer-passphrase-1',
  bristol: 'bristol-officer-passphrase-2',
  limited: 'limited-officer-passphrase-3',
};
const OIDC_SUBJECT = '6f1c7a52-5550-4e8e-9d3b-0a1b2c3d4e5f';
const NOTE = 'Checking what the practice was told after the call from the MARAC chair';
const PAGE =
  '<!doctype html><html><head><script type="module" src="/console/assets/app-3f2a1b.js"></script></head></html>';

/** The hub's clock for its services: moved forward to pass an idle timeout without waiting. */
const skew = { ms: 0 };
let hub: TestHub;
let provider: TestProvider;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-e2e-'));
  const ui = join(dir, 'ui');
  await mkdir(join(ui, 'assets'), { recursive: true });
  await writeFile(join(ui, 'index.html'), PAGE);
  await writeFile(join(ui, 'assets', 'app-3f2a1b.js'), 'export {};\n');
  const accounts = {
    accounts: [
      {
        id: 'ig-somerset',
        displayName: 'Somerset IG officer',
        role: 'ig-officer',
        organisation: 'E06000066',
        username: 'somerset.ig',
        passwordHash: await hashPassword(PASSWORD.somerset),
      },
      {
        id: 'ig-bristol',
        displayName: 'Bristol IG officer',
        role: 'ig-officer',
        organisation: 'E06000023',
        username: 'bristol.ig',
        passwordHash: await hashPassword(PASSWORD.bristol),
      },
      {
        id: 'ig-limited',
        displayName: 'An officer whose password is guessed at',
        role: 'ig-officer',
        organisation: 'E06000066',
        username: 'limited.ig',
        passwordHash: await hashPassword(PASSWORD.limited),
      },
      {
        id: 'ig-cis2',
        displayName: 'Somerset IG lead (CIS2)',
        role: 'ig-officer',
        organisation: 'E06000066',
        oidcSubject: OIDC_SUBJECT,
      },
    ],
  };
  await writeFile(join(dir, 'accounts.json'), JSON.stringify(accounts));
  const [hubPort, providerPort] = [await freePort(), await freePort()];
  const hubUrl = `http://127.0.0.1:${hubPort}`;
  provider = await startTestProvider({ port: providerPort, redirectUri: `${hubUrl}/v1/console/oidc/callback` });
  await writeFile(join(dir, 'oidc-secret'), `${provider.clientSecret}\n`, { mode: 0o600 });
  hub = await startTestHub({
    now: () => new Date(Date.now() + skew.ms),
    env: {
      HTTP_PORT: String(hubPort),
      CONSOLE_PUBLIC_URL: hubUrl,
      CONSOLE_ACCOUNTS_FILE: join(dir, 'accounts.json'),
      CONSOLE_UI_DIR: ui,
      CONSOLE_SESSION_IDLE_MINUTES: '2',
      CONSOLE_SIGN_IN_FAILURES_PER_ACCOUNT: '3',
      CONSOLE_OIDC_ISSUER: provider.issuer,
      CONSOLE_OIDC_CLIENT_ID: provider.clientId,
      CONSOLE_OIDC_CLIENT_SECRET_FILE: join(dir, 'oidc-secret'),
    },
  });
}, 120_000);

afterAll(async () => {
  const logs = hub.logs.text();
  await hub.stop();
  await provider.stop();
  await rm(dir, { recursive: true, force: true });
  // Nothing a person typed or was given reaches a log line: passwords, usernames, the note, cookies, tokens.
  expect(issued.length).toBeGreaterThan(10);
  for (const secret of [...Object.values(PASSWORD), 'somerset.ig', 'limited.ig', 'no.such.person', NOTE, ...issued]) {
    expect(logs, 'a log line holds something it must not').not.toContain(secret);
  }
});

/** Session cookies and CSRF tokens handed out, to check none reaches a log. */
const issued: string[] = [];

interface Signed {
  readonly cookie: string;
  readonly session: ConsoleSession;
}

async function signIn(username: string, password: string): Promise<Signed> {
  const response = await fetch(`${hub.url}/v1/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
  const session = (await response.json()) as ConsoleSession;
  issued.push(cookie.split('=')[1] ?? '', session.csrfToken);
  return { cookie, session };
}

/** A request as the console page makes it: the cookie, and on a POST the CSRF token unless told otherwise. */
function asPerson(signed: Signed, path: string, init: RequestInit & { csrf?: string | null } = {}) {
  const headers = new Headers(init.headers);
  headers.set('cookie', signed.cookie);
  const csrf = init.csrf === undefined ? signed.session.csrfToken : init.csrf;
  if ((init.method ?? 'GET') !== 'GET' && csrf !== null) headers.set('x-csrf-token', csrf);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${hub.url}${path}`, { ...init, headers });
}

/** A national IG client's token, kept for a minute: polling the trail must not spend the token endpoint's budget. */
let igToken: { value: string; until: number } | undefined;

async function trail(query: Record<string, string>): Promise<AuditEvent[]> {
  if (igToken === undefined || igToken.until < Date.now()) {
    igToken = { value: await hub.token('igOfficer'), until: Date.now() + 60_000 };
  }
  const parameters = new URLSearchParams({ ...query, limit: '200' });
  const response = await fetch(`${hub.url}/v1/audit/events?${parameters.toString()}`, {
    headers: { authorization: `Bearer ${igToken.value}` },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { items: AuditEvent[] }).items;
}

describe('signing in with a local account', () => {
  it('offers a password and the OpenID Connect provider', async () => {
    const response = await fetch(`${hub.url}/v1/console/sign-in-options`);
    expect(await response.json()).toEqual({
      password: true,
      oidc: { name: 'NHS Care Identity Service 2', start: '/v1/console/oidc/authorization' },
    });
  });

  it('starts a session: an HttpOnly SameSite=Strict cookie (not Secure over plain HTTP) and the person', async () => {
    const response = await fetch(`${hub.url}/v1/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Somerset.IG', password: PASSWORD.somerset }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('set-cookie')).toMatch(
      /^hub_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=36000$/,
    );
    const session = (await response.json()) as ConsoleSession;
    expect(session.user).toEqual({
      id: 'local:ig-somerset',
      displayName: 'Somerset IG officer',
      role: 'ig-officer',
      organisation: 'E06000066',
      signIn: 'password',
    });
    expect(session.idleTimeoutSeconds).toBe(120);
    issued.push(session.csrfToken);
  });

  it('refuses a wrong password and an unknown username alike, audited without what was typed', async () => {
    const attempt = (username: string, password: string) =>
      fetch(`${hub.url}/v1/console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    const wrong = await attempt('limited.ig', 'not-the-password');
    const unknown = await attempt('no.such.person', PASSWORD.limited);
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    const [a, b] = [(await wrong.json()) as Record<string, unknown>, (await unknown.json()) as Record<string, unknown>];
    expect({ ...a, requestId: '' }).toEqual({ ...b, requestId: '' });
    expect(wrong.headers.get('set-cookie')).toBeNull();
    await expect
      .poll(async () => (await trail({ action: 'console-sign-in-refused' })).length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    const refused = await trail({ action: 'console-sign-in-refused' });
    expect(refused[0]).toMatchObject({ reason: 'bad-credentials', actor: null, sourceNetwork: '127.0.0.0/24' });
    expect(JSON.stringify(refused)).not.toContain('no.such.person');
  });

  it('limits failures per username: after the third, even the right password is 429, audited once', async () => {
    // The first failure for this username was in the test above; these are the second and third.
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${hub.url}/v1/console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'limited.ig', password: `guess-${i}` }),
      });
      expect(response.status, `attempt ${i}`).toBe(401);
    }
    const blocked = await fetch(`${hub.url}/v1/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'limited.ig', password: PASSWORD.limited }),
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.json()).toMatchObject({ code: 'too-many-requests' });
    await expect
      .poll(async () => (await trail({ action: 'console-sign-in-refused' })).map((event) => event.reason), {
        timeout: 15_000,
      })
      .toContain('rate-limited');
    const reasons = (await trail({ action: 'console-sign-in-refused' })).map((event) => event.reason);
    expect(reasons.filter((reason) => reason === 'rate-limited')).toHaveLength(1);
  });
});

describe('the session', () => {
  it('answers the person with the cookie, and 401 without it or with a forged one', async () => {
    const signed = await signIn('somerset.ig', PASSWORD.somerset);
    const ok = await asPerson(signed, '/v1/console/session');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as ConsoleSession).user.id).toBe('local:ig-somerset');
    expect((await fetch(`${hub.url}/v1/console/session`)).status).toBe(401);
    const forged = await fetch(`${hub.url}/v1/console/session`, {
      headers: { cookie: `hub_console=${'x'.repeat(43)}` },
    });
    expect(forged.status).toBe(401);
    // A route for clients only ignores the cookie.
    expect((await asPerson(signed, '/v1/inboxes/gp:L85901/notifications')).status).toBe(401);
  });

  it("refuses a POST without the CSRF token, or with another session's, and signs out with it", async () => {
    const signed = await signIn('somerset.ig', PASSWORD.somerset);
    const other = await signIn('somerset.ig', PASSWORD.somerset);
    expect((await asPerson(signed, '/v1/console/sign-out', { method: 'POST', csrf: null })).status).toBe(403);
    const foreign = await asPerson(signed, '/v1/console/sign-out', { method: 'POST', csrf: other.session.csrfToken });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: 'forbidden' });
    expect((await asPerson(signed, '/v1/console/session')).status).toBe(200);
    const out = await asPerson(signed, '/v1/console/sign-out', { method: 'POST' });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toBe('hub_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    expect((await asPerson(signed, '/v1/console/session')).status).toBe(401);
    expect((await asPerson(other, '/v1/console/session')).status).toBe(200);
    await expect
      .poll(async () => (await trail({ actorClientId: 'local:ig-somerset' })).map((event) => event.action), {
        timeout: 15_000,
      })
      .toEqual(expect.arrayContaining(['console-signed-in', 'console-signed-out', 'access-denied']));
  });

  it('ends after the idle timeout without a request', async () => {
    const signed = await signIn('somerset.ig', PASSWORD.somerset);
    try {
      skew.ms = 90_000;
      expect((await asPerson(signed, '/v1/console/session')).status).toBe(200);
      skew.ms = 90_000 + 110_000; // 110 s after the last request: within the 2 minutes
      expect((await asPerson(signed, '/v1/console/session')).status).toBe(200);
      skew.ms = 90_000 + 110_000 + 121_000;
      expect((await asPerson(signed, '/v1/console/session')).status).toBe(401);
      skew.ms = 0;
      expect((await asPerson(signed, '/v1/console/session')).status).toBe(401);
    } finally {
      skew.ms = 0;
    }
  });
});

describe('signing in through OpenID Connect (a real provider)', () => {
  it('runs the code flow with PKCE and signs in the account that lists the subject', async () => {
    const jar = new CookieJar();
    const answer = await signInThrough(jar, hub.url, OIDC_SUBJECT);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/console/');
    const cookie = jar.get(hub.url, 'hub_console');
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    issued.push(cookie ?? '');
    const session = await browse(jar, `${hub.url}/v1/console/session`);
    expect(session.status).toBe(200);
    expect(((await session.json()) as ConsoleSession).user).toMatchObject({
      id: 'oidc:ig-cis2',
      signIn: 'oidc',
      organisation: 'E06000066',
    });
    // The flow's cookie is gone. (The provider requires PKCE: the flow got this far only with it.)
    expect(jar.get(hub.url, 'hub_console_oidc')).toBeUndefined();
  });

  it('refuses a person no account lists, a replayed callback and a tampered state, each audited', async () => {
    const stranger = await signInThrough(new CookieJar(), hub.url, 'someone-the-hub-does-not-know');
    expect(stranger.headers.get('location')).toBe('/console/#/sign-in?failed=oidc-unknown-person');
    expect(stranger.headers.getSetCookie().some((line) => line.startsWith('hub_console='))).toBe(false);

    const tampered = await signInThrough(new CookieJar(), hub.url, OIDC_SUBJECT, (callback) => {
      callback.searchParams.set('state', 'not-the-state');
    });
    expect(tampered.headers.get('location')).toBe('/console/#/sign-in?failed=oidc-failed');

    // The same callback a second time (its flow is single use), from the same browser.
    const jar = new CookieJar();
    let callback = '';
    await signInThrough(jar, hub.url, OIDC_SUBJECT, (url) => {
      callback = url.href;
    });
    const again = await browse(jar, callback);
    expect(again.headers.get('location')).toBe('/console/#/sign-in?failed=oidc-failed');

    await expect
      .poll(async () => (await trail({ action: 'console-sign-in-refused' })).map((event) => event.reason), {
        timeout: 15_000,
      })
      .toEqual(expect.arrayContaining(['oidc-unknown-person', 'oidc-failed']));
  });
});

describe("the console's files", () => {
  it('redirects /console to /console/ and serves the page under a strict CSP, revalidated each time', async () => {
    const redirect = await fetch(`${hub.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
    const page = await fetch(`${hub.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await page.text()).toBe(PAGE);
  });

  it('serves hashed assets with their type, cached for a year; anything else is 404 or refused', async () => {
    const script = await fetch(`${hub.url}/console/assets/app-3f2a1b.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await script.text()).toBe('export {};\n');
    expect((await fetch(`${hub.url}/console/assets/missing-1.js`)).status).toBe(404);
    expect((await fetch(`${hub.url}/console/assets/app.exe`)).status).toBe(404);
    expect((await fetch(`${hub.url}/console/assets/..%2Findex.html`)).status).toBe(400);
    expect((await fetch(`${hub.url}/console/assets/.env`)).status).toBe(400);
  });
});

describe('from real traffic: timeline, content view with a reason, dashboard', () => {
  let receiptId: string;
  let notificationId: string;

  it('(a police incident to a Somerset practice, fetched and acknowledged)', async () => {
    ({ receiptId } = await postIncident(hub, victimOnlyIncident('CONSOLE-0001')));
    const [item] = await waitForInbox(hub, 'gpVictim', 'gp:L85901', 1);
    notificationId = item?.id ?? '';
    const ack = await hub.call('gpVictim', `/v1/inboxes/gp:L85901/notifications/${notificationId}/acknowledgement`, {
      method: 'POST',
    });
    expect(ack.status).toBe(200);
  });

  async function timeline(signed: Signed, query: string): Promise<ConsoleTimeline> {
    const response = await asPerson(signed, `/v1/console/timeline?${query}`);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as ConsoleTimeline;
  }

  it("gives the area's officer every step of the receipt, oldest first, decisions with rule and lawful basis", async () => {
    const signed = await signIn('somerset.ig', PASSWORD.somerset);
    await expect
      .poll(async () => (await timeline(signed, `receiptId=${receiptId}`)).items.map((event) => event.action), {
        timeout: 20_000,
      })
      .toEqual(
        expect.arrayContaining([
          'incident-received',
          'subject-matched',
          'decision-recorded',
          'notification-signed',
          'notification-stored',
          'notification-fetched',
          'notification-acknowledged',
        ]),
      );
    const { items, truncated } = await timeline(signed, `receiptId=${receiptId}`);
    expect(truncated).toBe(false);
    const times = items.map((event) => Date.parse(event.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const decision = items.find((event) => event.action === 'decision-recorded' && event.decision?.outcome === 'share');
    expect(decision?.decision?.rule).toMatch(/^DA-/);
    expect(decision?.decision?.policyVersion).toMatch(/^da-\d{4}\./);
    expect(decision?.decision?.lawfulBasis.length).toBeGreaterThan(0);
    // By the force's reference too: the same events.
    const byIncident = await timeline(signed, `incidentRef=${encodeURIComponent('ASP:CONSOLE-0001')}`);
    expect(byIncident.items.map((event) => event.eventId)).toEqual(
      expect.arrayContaining(items.map((event) => event.eventId)),
    );
    // Another area's officer sees nothing of it.
    const bristol = await signIn('bristol.ig', PASSWORD.bristol);
    expect((await timeline(bristol, `receiptId=${receiptId}`)).items).toEqual([]);
    // The audit search takes the session too (its route admits people).
    const search = await asPerson(signed, `/v1/audit/events?receiptId=${receiptId}`);
    expect(search.status).toBe(200);
    // Each look at the timeline is on the trail as a search of the record, by the officer.
    await expect
      .poll(
        async () => (await trail({ action: 'audit-searched', actorClientId: 'local:ig-somerset', receiptId })).length,
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
  });

  it('opens content only with a reason, records the view first, and never sends the note back', async () => {
    const signed = await signIn('somerset.ig', PASSWORD.somerset);
    const path = `/v1/console/notifications/${notificationId}/content-views`;
    const none = await asPerson(signed, path, { method: 'POST', body: JSON.stringify({}) });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ code: 'validation-failed', errors: [{ pointer: '/body/reason' }] });
    const noCsrf = await asPerson(signed, path, {
      method: 'POST',
      csrf: null,
      body: JSON.stringify({ reason: 'safeguarding-review' }),
    });
    expect(noCsrf.status).toBe(403);

    const response = await asPerson(signed, path, {
      method: 'POST',
      body: JSON.stringify({ reason: 'safeguarding-review', note: NOTE }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(NOTE);
    const view = JSON.parse(text) as {
      payload: { kind: string; patient: { nhsNumber: string } };
      auditEventId: string;
    };
    expect(view.payload.kind).toBe('da-gp-notification');
    expect(view.payload.patient.nhsNumber).toBe(VICTIM_NHS_NUMBER);

    // Committed to Kafka before the answer; in the searchable store once projected.
    await expect
      .poll(async () => (await trail({ action: 'notification-content-viewed', receiptId })).length, { timeout: 15_000 })
      .toBeGreaterThan(0);
    const viewed = await trail({ action: 'notification-content-viewed', receiptId });
    expect(viewed.find((event) => event.eventId === view.auditEventId)).toMatchObject({
      actor: { clientId: 'local:ig-somerset', role: 'ig-officer', organisation: 'E06000066' },
      notificationId,
      recipient: 'gp:L85901',
      reason: 'safeguarding-review',
      reasonNote: NOTE,
    });
    // Search results carry no content: the payload's name is nowhere in the trail.
    expect(JSON.stringify(await trail({ receiptId }))).not.toContain('"family"');

    // Outside the officer's area: 404 as if it did not exist, and the attempt audited.
    const bristol = await signIn('bristol.ig', PASSWORD.bristol);
    const refused = await asPerson(bristol, path, {
      method: 'POST',
      body: JSON.stringify({ reason: 'safeguarding-review' }),
    });
    expect(refused.status).toBe(404);
  });

  it('counts the day from the audit trail: what the timeline shows, in numbers', async () => {
    const signed = await signIn('somerset.ig', PASSWORD.somerset);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
    const { items } = await timeline(signed, `receiptId=${receiptId}`);
    const of = (action: string) => items.filter((event) => event.action === action);
    const stored = of('notification-stored');
    const kinds: Record<string, number> = { gp: 0, marac: 0, exceptions: 0, la: 0 };
    for (const event of stored) {
      const kind = (event.recipient ?? '').split(':')[0] ?? '';
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    const signedAt = of('notification-signed').find((event) => event.notificationId === notificationId)?.at ?? '';
    const fetchedAt = of('notification-fetched').find((event) => event.notificationId === notificationId)?.at ?? '';
    const ackedAt = of('notification-acknowledged').find((event) => event.notificationId === notificationId)?.at ?? '';
    const rules = new Map<string, { share: number; withhold: number; exception: number }>();
    for (const { decision } of of('decision-recorded')) {
      if (decision === null) continue;
      const counts = rules.get(decision.rule) ?? { share: 0, withhold: 0, exception: 0 };
      if (decision.outcome === 'share' || decision.outcome === 'withhold' || decision.outcome === 'exception') {
        counts[decision.outcome] += 1;
      }
      rules.set(decision.rule, counts);
    }

    const response = await asPerson(signed, `/v1/console/dashboard?from=${today}&to=${today}`);
    expect(response.status, await response.clone().text()).toBe(200);
    const dashboard = (await response.json()) as SafeguardingDashboard;
    expect(dashboard).toMatchObject({ from: today, to: today, timeZone: 'Europe/London' });
    const [day] = dashboard.days;
    expect(day).toMatchObject({
      day: today,
      incidents: 1,
      plans: 0,
      notifications: kinds,
      // Everything stored but the GP's notification is still unread; exceptions: none for a matched victim.
      unread: stored.length - 1,
      exceptionsOpen: 0,
      issueToFetch: { count: 1 },
      issueToAcknowledgement: { count: 1 },
    });
    expect(Object.fromEntries(day?.decisions.map(({ rule, ...counts }) => [rule, counts]) ?? [])).toEqual(
      Object.fromEntries(rules),
    );
    expect(day?.issueToFetch.p50Seconds).toBeCloseTo((Date.parse(fetchedAt) - Date.parse(signedAt)) / 1000, 2);
    expect(day?.issueToAcknowledgement.p95Seconds).toBeCloseTo((Date.parse(ackedAt) - Date.parse(signedAt)) / 1000, 2);

    // Another area's officer: the same day, none of it.
    const bristol = await signIn('bristol.ig', PASSWORD.bristol);
    const theirs = await asPerson(bristol, `/v1/console/dashboard?from=${today}&to=${today}`);
    expect(((await theirs.json()) as SafeguardingDashboard).days[0]).toMatchObject({ incidents: 0, unread: 0 });
    expect((await asPerson(signed, `/v1/console/dashboard?from=${today}&to=2020-01-01`)).status).toBe(400);
    // Looking at it is on the trail, with the officer's scope.
    await expect
      .poll(async () => (await trail({ action: 'console-dashboard-viewed' })).map((event) => event.actor?.clientId), {
        timeout: 15_000,
      })
      .toEqual(expect.arrayContaining(['local:ig-somerset', 'local:ig-bristol']));
    const viewed = await trail({ action: 'console-dashboard-viewed', actorClientId: 'local:ig-somerset' });
    expect(viewed[0]?.reason).toBe('scope:E06000066');
  });
});
