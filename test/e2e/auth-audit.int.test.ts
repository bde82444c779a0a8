import { startTestHub, type TestHub } from '@hub/hub/testing';
import { signClientAssertion, tokenRequestBody } from '@hub/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSearch } from './flow.ts';

// Token issuance and every refusal reach the audit trail that IG officers read, with reason codes only.
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub.stop();
});

async function postAssertion(assertion: string) {
  return fetch(`${hub.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody(assertion),
  });
}

describe('authentication in the audit trail', () => {
  it('audits issued tokens, refused assertions and denied access, without the tokens themselves', async () => {
    const police = hub.clients['police']!;
    const tokenUrl = 'http://hub.test/oauth2/token';
    const replayed = signClientAssertion(police, tokenUrl);
    expect((await postAssertion(replayed)).status).toBe(200);
    expect((await postAssertion(replayed)).status).toBe(401); // jti reused
    expect((await postAssertion(signClientAssertion(police, 'http://elsewhere/oauth2/token'))).status).toBe(401);
    expect((await hub.call('gpOther', '/v1/inboxes/gp:L85901/notifications')).status).toBe(404);

    let events: Awaited<ReturnType<typeof auditSearch>> = [];
    await expect
      .poll(
        async () => {
          events = await auditSearch(hub, {});
          const actions = new Set<string>(events.map((event) => event.action));
          return ['token-issued', 'token-refused', 'access-denied'].every((action) => actions.has(action));
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(true);
    const issued = events.filter((event) => event.action === 'token-issued');
    expect(issued.some((event) => event.actor?.clientId === police.clientId)).toBe(true);
    const refused = events.filter((event) => event.action === 'token-refused').map((event) => event.reason);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((reason) => reason !== null && /^[a-z-]+$/.test(reason))).toBe(true);
    const denied = events.find((event) => event.action === 'access-denied');
    expect(denied).toMatchObject({
      recipient: 'gp:L85901',
      reason: 'inbox-not-yours',
      actor: { organisation: 'L85902' },
    });
    expect(JSON.stringify(events)).not.toContain(replayed.split('.')[2]!);
  });
});
