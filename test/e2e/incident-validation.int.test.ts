import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSearch } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub.stop();
});

interface Problem {
  status: number;
  code: string;
  errors?: { pointer: string; detail: string }[];
}

async function post(body: unknown, client: string | null = 'police') {
  const response = await hub.call(client, '/v1/domestic-abuse-incidents', {
    method: 'POST',
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as Problem,
  };
}

describe('POST /v1/domestic-abuse-incidents refuses bad input clearly, and records nothing', () => {
  const valid = whitlockIncident();
  const withSubject = (index: number, patch: Record<string, unknown>) => ({
    ...valid,
    subjects: valid.subjects.map((subject, i) => (i === index ? { ...subject, ...patch } : subject)),
  });

  it.each([
    [
      'an NHS number with a wrong check digit',
      withSubject(0, { nhsNumber: '9991001019' }),
      '/body/subjects/0/nhsNumber',
    ],
    ['an unknown field', { ...valid, force: 'WMP' }, '/body'], // unknown fields are counted at their object, never named,
    ['a missing field', { ...valid, victimConsent: undefined }, '/body/victimConsent'],
    ['an impossible date', withSubject(2, { birthDate: '2016-02-30' }), '/body/subjects/2/birthDate'],
    ['a reported time before the incident', { ...valid, reportedAt: '2026-11-21T20:00:00Z' }, '/body/reportedAt'],
    [
      'too many subjects',
      { ...valid, subjects: Array.from({ length: 21 }, (_, i) => ({ ...valid.subjects[0]!, ref: `S${i}` })) },
      '/body/subjects',
    ],
    ['over-long circumstances', { ...valid, circumstances: 'x'.repeat(4_001) }, '/body/circumstances'],
    ['a duplicate subject ref', withSubject(1, { ref: 'V1' }), '/body/subjects/1/ref'],
  ])('%s: 400 problem+json naming the field', async (_case, body, pointer) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.type).toContain('application/problem+json');
    expect(response.body.code).toBe('validation-failed');
    expect(response.body.errors?.map((error) => error.pointer)).toContain(pointer);
    // The problem never echoes what was sent (it may be personal data).
    expect(JSON.stringify(response.body)).not.toContain('Whitlock');
  });

  it('401 without a token, 403 for a caller who is not police', async () => {
    expect((await post(valid, null)).status).toBe(401);
    const asGp = await post(valid, 'gpVictim');
    expect(asGp.status).toBe(403);
    expect(asGp.body.code).toBe('forbidden');
  });

  it('recorded nothing for any refused request', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const received = (await auditSearch(hub, {})).filter((event) => event.action === 'incident-received');
    expect(received).toHaveLength(0);
  });
});
