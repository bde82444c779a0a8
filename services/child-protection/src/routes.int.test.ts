import { createTestClient, type TestClient } from '@hub/auth/testing';
import { STEPS } from '@hub/contracts';
import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFgmIntake } from './fgm.ts';
import { createFlagLookup } from './lookup.ts';
import { createPlanStatusView } from './plan-status.ts';
import { createPlanIntake } from './plans.ts';
import { childProtectionRoutes } from './routes.ts';
import { BRISTOL, SEED, SEED_PERSONAL_DATA, SOMERSET, TEST_NOW, samplePlan } from './test-support.ts';

let h: RouteHarness;
const clock = { now: TEST_NOW };
const somerset = createTestClient({ clientId: 'la-somerset', role: 'local-authority', organisation: SOMERSET });
const bristol = createTestClient({ clientId: 'la-bristol', role: 'local-authority', organisation: BRISTOL });
const gp = createTestClient({ clientId: 'gp-l85902', role: 'gp', organisation: 'L85902' });
const ed = createTestClient({ clientId: 'ed-rba11', role: 'unscheduled-care', organisation: 'RBA11' });
const police = createTestClient({ clientId: 'police-asp', role: 'police', organisation: 'ASP' });

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'child-protection',
    clients: [somerset, bristol, gp, ed, police],
    now: () => clock.now,
    // The routes and their intakes only (not the notifier's stages): what the hub serves, on the seed directory.
    routes: (deps) => {
      const shared = {
        kafka: deps.kafka,
        redis: deps.viewRedis('cp-flags'),
        directory: deps.directory,
        policy: deps.cpPolicy,
        now: deps.now,
      };
      return childProtectionRoutes({
        plans: createPlanIntake({ ...shared, transactionalId: STEPS.planIntake.transactionalId }),
        fgm: createFgmIntake({ ...shared, transactionalId: STEPS.fgmIntake.transactionalId }),
        lookup: createFlagLookup({ ...shared, transactionalId: STEPS.flagLookup.transactionalId }),
        planStatus: createPlanStatusView(deps.viewRedis('plan-status')),
      });
    },
  });
});

afterAll(async () => {
  await h.close();
});

function call(client: TestClient | undefined, method: 'GET' | 'PUT', url: string, payload?: object) {
  return h.inject(client ?? null, { method, url, ...(payload === undefined ? {} : { payload }) });
}

const planUrl = (planId: string) => `/v1/child-protection-plans/${planId}`;
const fgmUrl = (indicatorId: string) => `/v1/fgm-indicators/${indicatorId}`;
const flagsUrl = (query: string) => `/v1/child-protection-flags?${query}`;

describe('child-protection routes', () => {
  it.each([
    ['PUT', planUrl('CPP-1'), samplePlan(), ed],
    ['GET', planUrl('CPP-1'), undefined, gp],
    ['PUT', fgmUrl('FGM-1'), { nhsNumber: SEED.lily, status: 'active' }, somerset],
    ['GET', flagsUrl(`nhsNumber=${SEED.mia}`), undefined, police],
  ] as const)('%s %s: 401 without a token, 403 for another role', async (method, url, payload, wrongRole) => {
    const anonymous = await call(undefined, method, url, payload);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer /);
    const refused = await call(wrongRole, method, url, payload);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'forbidden' });
  });

  it('PUT and GET a plan: the answer, the authority-only view, a 422 with its reason, a 400 with its pointer', async () => {
    const planId = uniqueId('CPP');
    const put = await call(somerset, 'PUT', planUrl(planId), samplePlan({ nhsNumber: SEED.mia }));
    expect(put.statusCode).toBe(200);
    const status = put.json<{ versionId: string }>();
    expect(status).toEqual({
      planId,
      versionId: expect.stringMatching(/^cpv_[a-f0-9]{32}$/) as string,
      outcome: 'started',
      status: 'active',
      recordedAt: clock.now.toISOString(),
    });

    const got = await call(somerset, 'GET', planUrl(planId));
    expect(got.statusCode).toBe(200);
    expect(got.headers['cache-control']).toBe('no-store');
    expect(got.json()).toEqual(status);
    const other = await call(bristol, 'GET', planUrl(planId));
    expect(other.statusCode).toBe(404);

    const refused = await call(somerset, 'PUT', planUrl(uniqueId('CPP')), samplePlan({ nhsNumber: SEED.sarah }));
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      code: 'unprocessable',
      reason: 'not-a-child',
      errors: [{ pointer: '/body/nhsNumber' }],
    });

    const future = await call(
      somerset,
      'PUT',
      planUrl(planId),
      samplePlan({ nhsNumber: SEED.mia, startDate: '2026-12-01' }),
    );
    expect(future.statusCode).toBe(400);
    expect(future.json()).toMatchObject({ code: 'validation-failed', errors: [{ pointer: '/body/startDate' }] });

    const badBody = await call(somerset, 'PUT', planUrl(planId), { ...samplePlan(), nhsNumber: '9991001035' });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json()).toMatchObject({ errors: [{ pointer: '/body/nhsNumber' }] });
  });

  it('PUT an FGM indicator as a GP and as unscheduled care', async () => {
    for (const client of [gp, ed]) {
      const indicatorId = uniqueId('FGM');
      const response = await call(client, 'PUT', fgmUrl(indicatorId), { nhsNumber: SEED.lily, status: 'active' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ indicatorId, status: 'active', outcome: 'added' });
    }
    const unknown = await call(gp, 'PUT', fgmUrl(uniqueId('FGM')), { nhsNumber: SEED.lily, status: 'removed' });
    expect(unknown.statusCode).toBe(404);
  });

  it('GET flags: unscheduled care with its setting, not without; a GP for its own patients only', async () => {
    await call(somerset, 'PUT', planUrl(uniqueId('CPP')), samplePlan({ nhsNumber: SEED.leo }));
    const found = await call(
      ed,
      'GET',
      flagsUrl(`nhsNumber=${SEED.leo}&settingOds=RBA11&settingType=emergency-department`),
    );
    expect(found.statusCode).toBe(200);
    expect(found.headers['cache-control']).toBe('no-store');
    expect(found.json()).toMatchObject({ nhsNumber: SEED.leo, notified: [SOMERSET], plans: [{ status: 'active' }] });

    const missing = await call(ed, 'GET', flagsUrl(`nhsNumber=${SEED.leo}&settingType=ambulance`));
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'validation-failed', errors: [{ pointer: '/query/settingOds' }] });
    const badNumber = await call(ed, 'GET', flagsUrl('nhsNumber=9991001035&settingOds=RBA11&settingType=ambulance'));
    expect(badNumber.statusCode).toBe(400);
    expect(badNumber.json()).toMatchObject({ errors: [{ pointer: '/query/nhsNumber' }] });

    const own = await call(gp, 'GET', flagsUrl(`nhsNumber=${SEED.leo}`));
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ notified: [], plans: [{ status: 'active' }] });
    const notOwn = await call(gp, 'GET', flagsUrl(`nhsNumber=${SEED.mia}`));
    expect(notOwn.statusCode).toBe(403);
  });

  it('writes no personal data (NHS numbers in URLs and bodies, names) to the logs', () => {
    const text = h.logs.text();
    expect(text).toContain('child protection flags looked up');
    for (const secret of [...Object.values(SEED), ...SEED_PERSONAL_DATA]) expect(text).not.toContain(secret);
  });
});
