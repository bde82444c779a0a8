import type { AuditEvent, CpFlags, CpPlanSubmission } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSearch, openNotification, readInbox, waitForInbox, type InboxItem } from './flow.ts';

// One hub for the file, with a clock the tests move (the services' clock; tokens use real time).
let clock = new Date('2026-11-23T10:00:00Z');
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ now: () => clock });
});
afterAll(async () => {
  await hub.stop();
});

const MIA = '9991001034'; // child, L85901
const LEO = '9991001042'; // child, L85902
const CHLOE = '9991002065'; // mother, L85902
const POPPY = '9991002073'; // child, registration ended
const AVA = '9992001097'; // child, L81901 (Bristol)
const ISLA = '9992002018'; // child, L81901 (Bristol)
const SOPHIE = '9991003096'; // child, L85904, never flagged in this file
const LILY = '9991003053'; // girl, L85902 (FGM indicator)
const NOAH = '9991004017'; // child, L85904 (plans shared after they ended)
const ED = { settingOds: 'RZ901', settingType: 'emergency-department' } as const;

function plan(nhsNumber: string, overrides: Partial<CpPlanSubmission> = {}): CpPlanSubmission {
  return {
    type: 'child-protection-plan',
    nhsNumber,
    startDate: '2026-11-20',
    contact: {
      team: 'Taunton children and families',
      officeHoursPhone: '01632 960100',
      outOfHoursPhone: '01632 960199',
    },
    ...overrides,
  };
}

async function putPlan(client: string, planId: string, body: CpPlanSubmission) {
  const response = await hub.call(client, `/v1/child-protection-plans/${planId}`, {
    method: 'PUT',
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function lookUp(client: string, nhsNumber: string, setting: Record<string, string> = {}) {
  const query = new URLSearchParams({ nhsNumber, ...setting });
  const response = await hub.call(client, `/v1/child-protection-flags?${query.toString()}`);
  return { status: response.status, body: (await response.json()) as CpFlags & Record<string, unknown> };
}

async function ofKind(client: string, recipient: string, kind: string): Promise<InboxItem[]> {
  return (await readInbox(hub, client, recipient)).filter((item) => item.kind === kind);
}

/** Waits until `recipient` holds `count` items of `kind`, then a little longer so a doubled one would show. */
async function waitForKind(client: string, recipient: string, kind: string, count: number): Promise<InboxItem[]> {
  await expect
    .poll(async () => (await ofKind(client, recipient, kind)).length, { timeout: 20_000, interval: 200 })
    .toBeGreaterThanOrEqual(count);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return ofKind(client, recipient, kind);
}

describe("a child protection plan's life: started, changed, ended", () => {
  it("notifies the child's practice exactly once when the plan starts, with the concept and whom to call", async () => {
    const started = await putPlan('somersetLa', 'CP-MIA-1', plan(MIA));
    expect(started).toMatchObject({ status: 200, body: { planId: 'CP-MIA-1', outcome: 'started', status: 'active' } });

    const [item] = await waitForInbox(hub, 'gpVictim', 'gp:L85901', 1);
    expect(item?.kind).toBe('cp-gp-notification');
    const payload = await openNotification(hub, item as InboxItem);
    expect(payload).toMatchObject({
      recipient: 'gp:L85901',
      rule: 'CP-GP-PLAN',
      policyVersion: 'cp-2026.12.2',
      patient: { nhsNumber: MIA, name: { given: 'Mia', family: 'Whitlock' } },
      patientIs: 'child',
      plan: { planId: 'CP-MIA-1', change: 'started', type: 'child-protection-plan', localAuthority: 'E06000066' },
      recordConcept: { system: 'http://snomed.info/sct', code: '342191000000101' },
      localAuthority: { ons: 'E06000066', name: 'Somerset Council', outOfHoursPhone: '01632 960199' },
      markers: { confidential: true, containsThirdPartyInformation: true, withholdFromPatientOnlineAccess: true },
    });
  });

  it('an identical resend changes nothing; a change and the end each notify once more', async () => {
    expect((await putPlan('somersetLa', 'CP-MIA-1', plan(MIA))).body).toMatchObject({ outcome: 'unchanged' });
    const changed = plan(MIA, {
      contact: { team: 'Taunton east team', officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
    });
    expect((await putPlan('somersetLa', 'CP-MIA-1', changed)).body).toMatchObject({ outcome: 'changed' });
    expect((await putPlan('somersetLa', 'CP-MIA-1', { ...changed, endDate: '2026-11-22' })).body).toMatchObject({
      outcome: 'ended',
      status: 'ended',
    });
    expect((await putPlan('somersetLa', 'CP-MIA-1', { ...changed, endDate: '2026-11-22' })).body).toMatchObject({
      outcome: 'unchanged',
    });

    const items = await waitForInbox(hub, 'gpVictim', 'gp:L85901', 3);
    const changes = await Promise.all(
      items.map(async (item) => ((await openNotification(hub, item))['plan'] as { change: string }).change),
    );
    expect(changes).toEqual(['started', 'changed', 'ended']);
  });

  it('can be acknowledged through the same inbox API as every other notification', async () => {
    const [first] = await readInbox(hub, 'gpVictim', 'gp:L85901');
    const response = await hub.call(
      'gpVictim',
      `/v1/inboxes/gp:L85901/notifications/${first?.id ?? ''}/acknowledgement`,
      {
        method: 'POST',
      },
    );
    expect(response.status).toBe(200);
  });
});

describe('routing', () => {
  it("sends an unborn child protection plan to the mother's practice", async () => {
    const unborn = plan(CHLOE, { type: 'unborn-child-protection-plan', expectedDeliveryDate: '2027-03-01' });
    expect((await putPlan('somersetLa', 'UCP-1', unborn)).status).toBe(200);
    const [item] = await waitForKind('gpOther', 'gp:L85902', 'cp-gp-notification', 1);
    expect(await openNotification(hub, item as InboxItem)).toMatchObject({
      patient: { nhsNumber: CHLOE },
      patientIs: 'expectant-mother',
      recordConcept: { code: '878111000000109' },
      plan: { expectedDeliveryDate: '2027-03-01' },
    });
  });

  it("sends a child without a registered practice to the authority's exceptions inbox", async () => {
    expect((await putPlan('somersetLa', 'CP-POPPY', plan(POPPY))).status).toBe(200);
    const [item] = await waitForKind('somersetLa', 'exceptions:E06000066', 'cp-exception', 1);
    expect(await openNotification(hub, item as InboxItem)).toMatchObject({
      nhsNumber: POPPY,
      reason: 'no-registered-practice',
      plan: { planId: 'CP-POPPY' },
    });
  });
});

describe('refusals', () => {
  it.each([
    ['an inactive NHS number', 'CP-INACTIVE', '9991002057', 'inactive-record'],
    ['an NHS number the directory does not know', 'CP-UNKNOWN', '9999000010', 'nhs-number-not-found'],
  ])("refuses %s with a clear error and tells the authority's inbox", async (_label, planId, nhsNumber, reason) => {
    const refused = await putPlan('bristolLa', planId, plan(nhsNumber));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'unprocessable', reason });
    expect(JSON.stringify(refused.body)).not.toContain(nhsNumber);
    const get = await hub.call('bristolLa', `/v1/child-protection-plans/${planId}`);
    expect(get.status).toBe(404);
  });

  it('sends one notice per refused plan, even when the same plan is resent', async () => {
    expect((await putPlan('bristolLa', 'CP-INACTIVE', plan('9991002057'))).status).toBe(422);
    const notices = await waitForKind('bristolLa', 'la:E06000023', 'cp-plan-refused', 2);
    const reasons = await Promise.all(notices.map(async (item) => (await openNotification(hub, item))['reason']));
    expect(reasons.sort()).toEqual(['inactive-record', 'nhs-number-not-found']);
  });
});

describe("an authority's plans are its own", () => {
  it("another authority using the same plan id makes its own plan and never touches the first one's", async () => {
    const bristol = plan(AVA, {
      contact: { team: 'Bristol CP', officeHoursPhone: '0117 496 0100', outOfHoursPhone: '0117 496 0199' },
    });
    expect((await putPlan('bristolLa', 'CP-MIA-1', bristol)).body).toMatchObject({ outcome: 'started' });

    const somersetView = await hub.call('somersetLa', '/v1/child-protection-plans/CP-MIA-1');
    expect(await somersetView.json()).toMatchObject({ outcome: 'ended', status: 'ended' });
    const mia = await lookUp('edTaunton', MIA, ED);
    expect(mia.body.plans.map((p) => [p.localAuthority.ons, p.planId, p.status])).toEqual([
      ['E06000066', 'CP-MIA-1', 'ended'],
    ]);
  });
});

describe('looking a child up', () => {
  /** Somerset's access notifications about Leo (an earlier test looked Mia up, which Somerset was told of too). */
  async function accessNoticesAboutLeo(count: number) {
    let notices: Record<string, unknown>[] = [];
    await expect
      .poll(
        async () => {
          const items = await ofKind('somersetLa', 'la:E06000066', 'cp-access-notification');
          const payloads = await Promise.all(items.map((item) => openNotification(hub, item)));
          notices = payloads.filter((payload) => payload['nhsNumber'] === LEO);
          return notices.length;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(count);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const items = await ofKind('somersetLa', 'la:E06000066', 'cp-access-notification');
    const payloads = await Promise.all(items.map((item) => openNotification(hub, item)));
    return payloads.filter((payload) => payload['nhsNumber'] === LEO);
  }

  it('an unscheduled-care look-up shows the plan and whom to call, and tells the owning authority once', async () => {
    expect((await putPlan('somersetLa', 'CP-LEO', plan(LEO))).status).toBe(200);
    const first = await lookUp('edTaunton', LEO, ED);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      nhsNumber: LEO,
      notified: ['E06000066'],
      unscheduledAccesses: [],
      plans: [
        {
          planId: 'CP-LEO',
          status: 'active',
          localAuthority: { ons: 'E06000066', name: 'Somerset Council' },
          contact: { officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
        },
      ],
    });
    const [notice] = await accessNoticesAboutLeo(1);
    expect(notice).toMatchObject({
      nhsNumber: LEO,
      lookupId: first.body.lookupId,
      setting: { odsCode: 'RZ901', type: 'emergency-department' },
      accessedBy: 'RZ9',
      plans: [{ planId: 'CP-LEO', type: 'child-protection-plan' }],
    });
  });

  it('each further unscheduled look-up is one more notification, and shows the earlier accesses', async () => {
    const second = await lookUp('ambulance', LEO, { settingOds: 'RZ8AMB', settingType: 'ambulance' });
    expect(second.body.unscheduledAccesses).toEqual([
      { accessedAt: clock.toISOString(), setting: { odsCode: 'RZ901', type: 'emergency-department' } },
    ]);
    expect(await accessNoticesAboutLeo(2)).toHaveLength(2);
  });

  it("the child's own practice sees the flag, and no access notification is sent", async () => {
    const gp = await lookUp('gpOther', LEO);
    expect(gp.status).toBe(200);
    expect(gp.body).toMatchObject({ notified: [], plans: [{ planId: 'CP-LEO' }] });
    expect(gp.body.unscheduledAccesses).toHaveLength(2);
    expect(await accessNoticesAboutLeo(2)).toHaveLength(2);
  });

  it('another practice may not look the child up, and the attempt is audited', async () => {
    const denied = await lookUp('gpVictim', LEO);
    expect(denied.status).toBe(403);
  });

  it('an unscheduled-care caller must say where the child presented', async () => {
    const missing = await lookUp('edTaunton', LEO);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body['errors'])).toContain('/query/setting');
  });

  it('a look-up of a child with no flag answers empty, notifies nobody, and is audited', async () => {
    const none = await lookUp('edTaunton', SOPHIE, ED);
    expect(none.body).toMatchObject({ plans: [], fgmIndicators: [], notified: [] });
  });

  it('every look-up is in the audit trail', async () => {
    let events: AuditEvent[] = [];
    await expect
      .poll(
        async () => {
          events = (await auditSearch(hub, { nhsNumber: LEO })).filter((e) => e.action === 'flags-looked-up');
          return events.length;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(3);
    expect(events.map((e) => e.actor?.role).sort()).toEqual(['gp', 'unscheduled-care', 'unscheduled-care']);
    const denied = (await auditSearch(hub, { nhsNumber: LEO })).filter((e) => e.action === 'access-denied');
    expect(denied.map((e) => e.actor?.organisation)).toEqual(['L85901']);
    const withheld = (await auditSearch(hub, { nhsNumber: LEO })).filter(
      (e) => e.action === 'decision-recorded' && e.decision?.rule === 'CP-ACCESS-SCHEDULED',
    );
    expect(withheld).toHaveLength(1);
    expect((await auditSearch(hub, { nhsNumber: SOPHIE })).filter((e) => e.action === 'flags-looked-up')).toHaveLength(
      1,
    );
  });
});

describe('a child with plans of two authorities', () => {
  it('one look-up tells each owning authority once, naming only its own plan', async () => {
    const alfie = '9991003037'; // child, L85901
    expect((await putPlan('somersetLa', 'CP-ALFIE', plan(alfie))).status).toBe(200);
    const bristolPlan = plan(alfie, {
      type: 'looked-after-child',
      contact: { team: 'Bristol LAC', officeHoursPhone: '0117 496 0100', outOfHoursPhone: '0117 496 0199' },
    });
    expect((await putPlan('bristolLa', 'LAC-ALFIE', bristolPlan)).status).toBe(200);

    const lookup = await lookUp('edTaunton', alfie, ED);
    expect(lookup.body.notified.sort()).toEqual(['E06000023', 'E06000066']);
    for (const [client, recipient, planId] of [
      ['somersetLa', 'la:E06000066', 'CP-ALFIE'],
      ['bristolLa', 'la:E06000023', 'LAC-ALFIE'],
    ] as const) {
      const notices = await waitForKind(client, recipient, 'cp-access-notification', 1);
      const payloads = await Promise.all(notices.map((item) => openNotification(hub, item)));
      const aboutAlfie = payloads.filter((payload) => payload['nhsNumber'] === alfie);
      expect(aboutAlfie).toHaveLength(1);
      expect(aboutAlfie[0]).toMatchObject({ lookupId: lookup.body.lookupId, plans: [{ planId }] });
    }
  });
});

/** The 404 problem without what differs per request. */
async function problemOf(response: Response): Promise<Record<string, unknown>> {
  const { instance: _i, traceId: _t, requestId: _r, ...rest } = (await response.json()) as Record<string, unknown>;
  return rest;
}

describe('plans shared after they ended', () => {
  it('one that ended before the 12-month window is recorded for the authority but flagged nowhere, nobody told', async () => {
    const old = plan(NOAH, { startDate: '2023-05-01', endDate: '2025-11-22' });
    const put = await putPlan('somersetLa', 'CP-NOAH-OLD', old);
    expect(put).toMatchObject({ status: 200, body: { outcome: 'ended', status: 'ended' } });
    const versionId = put.body['versionId'] as string;
    const get = await hub.call('somersetLa', '/v1/child-protection-plans/CP-NOAH-OLD');
    expect(await get.json()).toMatchObject({ versionId, outcome: 'ended', status: 'ended' });
    expect((await lookUp('edTaunton', NOAH, ED)).body).toMatchObject({ plans: [], notified: [] });

    // The version's whole trail: recorded, and one withhold decision under the policy; nothing routed or signed.
    // (Each search is audited too, naming what it searched for: those events are the officer's, not the version's.)
    const trailOf = async () =>
      (await auditSearch(hub, { receiptId: versionId })).filter((event) => event.action !== 'audit-searched');
    let trail: AuditEvent[] = [];
    await expect
      .poll(
        async () => {
          trail = await trailOf();
          return trail.map((event) => event.action).sort();
        },
        { timeout: 20_000, interval: 250 },
      )
      .toEqual(['decision-recorded', 'plan-recorded']);
    expect(trail.find((event) => event.action === 'decision-recorded')).toMatchObject({
      recipient: null,
      nhsNumber: NOAH,
      decision: {
        rule: 'CP-PLAN-OUT-OF-SCOPE',
        policyVersion: 'cp-2026.12.2',
        outcome: 'withhold',
        lawfulBasis: ['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18'],
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await trailOf()).toHaveLength(2);
    expect(await readInbox(hub, 'gpPerpetrator', 'gp:L85904')).toEqual([]);
  });

  it("one that ended within the window is told to the child's practice as ended, with its dates, never as current", async () => {
    const recent = plan(NOAH, { startDate: '2026-01-05', endDate: '2026-10-30' });
    expect((await putPlan('somersetLa', 'CP-NOAH-RECENT', recent)).body).toMatchObject({
      outcome: 'ended',
      status: 'ended',
    });
    const [item, ...more] = await waitForKind('gpPerpetrator', 'gp:L85904', 'cp-gp-notification', 1);
    expect(more).toEqual([]);
    const payload = await openNotification(hub, item as InboxItem);
    expect(payload).toMatchObject({
      rule: 'CP-GP-PLAN',
      policyVersion: 'cp-2026.12.2',
      patient: { nhsNumber: NOAH },
      plan: { planId: 'CP-NOAH-RECENT', change: 'ended', startDate: '2026-01-05', endDate: '2026-10-30' },
    });
    expect(payload['practiceRequest']).toContain('Do not record it as current');
    expect(payload['practiceRequest']).not.toContain('Record that this child is subject to a child protection plan');
    expect((await lookUp('edTaunton', NOAH, ED)).body.plans.map((p) => [p.planId, p.status])).toEqual([
      ['CP-NOAH-RECENT', 'ended'],
    ]);
  });
});

describe('denials are audited and answered exactly as a record that does not exist', () => {
  // Their own instant, so the audit search by time finds this block's events only.
  const at = new Date('2026-11-23T11:00:00Z');
  let before: Date;
  beforeAll(() => {
    before = clock;
    clock = at;
  });
  afterAll(() => {
    clock = before;
  });

  async function deniedAt(count: number): Promise<AuditEvent[]> {
    let denied: AuditEvent[] = [];
    const window = { from: at.toISOString(), to: new Date(at.getTime() + 1).toISOString() };
    await expect
      .poll(
        async () => {
          denied = (await auditSearch(hub, window)).filter((event) => event.action === 'access-denied');
          return denied.length;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBeGreaterThanOrEqual(count);
    return denied;
  }

  it("an authority reading another authority's plan id, and removing another organisation's FGM indicator", async () => {
    const theirs = await hub.call('bristolLa', '/v1/child-protection-plans/CP-NOAH-OLD');
    const nobodys = await hub.call('bristolLa', '/v1/child-protection-plans/CP-NOBODY');
    expect([theirs.status, nobodys.status]).toEqual([404, 404]);
    expect(await problemOf(theirs)).toEqual(await problemOf(nobodys));

    const added = await hub.call('gpBristol', '/v1/fgm-indicators/FGM-AVA', {
      method: 'PUT',
      body: JSON.stringify({ nhsNumber: AVA, status: 'active' }),
    });
    expect(added.status).toBe(200);
    const removal = await hub.call('edTaunton', '/v1/fgm-indicators/FGM-AVA', {
      method: 'PUT',
      body: JSON.stringify({ nhsNumber: AVA, status: 'removed' }),
    });
    const unknown = await hub.call('edTaunton', '/v1/fgm-indicators/FGM-NONE', {
      method: 'PUT',
      body: JSON.stringify({ nhsNumber: AVA, status: 'removed' }),
    });
    expect([removal.status, unknown.status]).toEqual([404, 404]);
    expect(await problemOf(removal)).toEqual(await problemOf(unknown));
    expect((await lookUp('edTaunton', AVA, ED)).body.fgmIndicators).toMatchObject([{ indicatorId: 'FGM-AVA' }]);

    const denied = await deniedAt(4);
    const summary = denied
      .map((e) => [e.actor?.role, e.actor?.organisation, e.incidentRef, e.nhsNumber, e.reason])
      .sort((a, b) => String(a[2]).localeCompare(String(b[2])));
    expect(summary).toEqual([
      ['local-authority', 'E06000023', 'E06000023:CP-NOAH-OLD', null, 'plan-not-found'],
      ['local-authority', 'E06000023', 'E06000023:CP-NOBODY', null, 'plan-not-found'],
      ['unscheduled-care', 'RZ9', 'L81901:FGM-AVA', AVA, 'fgm-indicator-of-another-organisation'],
      ['unscheduled-care', 'RZ9', 'RZ9:FGM-NONE', AVA, 'fgm-indicator-not-found'],
    ]);
    expect(denied.every((e) => e.service === 'child-protection' && e.actor?.clientId !== undefined)).toBe(true);
  });
});

describe('ended plans', () => {
  it('stay visible for 12 months after they end, then drop out', async () => {
    const ended = plan(ISLA, {
      type: 'looked-after-child',
      startDate: '2025-06-01',
      endDate: '2025-12-01',
      contact: { team: 'Bristol LAC', officeHoursPhone: '0117 496 0100', outOfHoursPhone: '0117 496 0199' },
    });
    expect((await putPlan('bristolLa', 'LAC-ISLA', ended)).body).toMatchObject({ outcome: 'ended', status: 'ended' });
    expect((await lookUp('edTaunton', ISLA, ED)).body.plans.map((p) => p.status)).toEqual(['ended']);

    clock = new Date('2026-12-01T12:00:00Z');
    expect((await lookUp('edTaunton', ISLA, ED)).body.plans.map((p) => p.status)).toEqual(['ended']);
    clock = new Date('2026-12-02T12:00:00Z');
    const later = await lookUp('edTaunton', ISLA, ED);
    expect(later.body).toMatchObject({ plans: [], notified: [] });
  });
});

describe('FGM indicators', () => {
  it('a clinician adds and removes one; look-ups show it while it is active; both are audited', async () => {
    const add = await hub.call('gpOther', '/v1/fgm-indicators/FGM-1', {
      method: 'PUT',
      body: JSON.stringify({ nhsNumber: LILY, status: 'active' }),
    });
    expect(add.status, await add.clone().text()).toBe(200);
    expect((await lookUp('edTaunton', LILY, ED)).body).toMatchObject({
      fgmIndicators: [{ indicatorId: 'FGM-1', recordedBy: 'L85902' }],
      notified: [],
    });
    const remove = await hub.call('gpOther', '/v1/fgm-indicators/FGM-1', {
      method: 'PUT',
      body: JSON.stringify({ nhsNumber: LILY, status: 'removed' }),
    });
    expect(await remove.json()).toMatchObject({ outcome: 'removed', status: 'removed' });
    expect((await lookUp('edTaunton', LILY, ED)).body.fgmIndicators).toEqual([]);
    await expect
      .poll(
        async () =>
          (await auditSearch(hub, { nhsNumber: LILY }))
            .filter((e) => e.action === 'fgm-indicator-recorded')
            .map((e) => e.reason)
            .sort(),
        { timeout: 20_000, interval: 250 },
      )
      .toEqual(['added', 'removed']);
  });
});
