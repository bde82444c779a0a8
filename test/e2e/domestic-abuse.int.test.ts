import type { AuditEvent } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSearch, decisionsOf, openNotification, outcomes, postIncident, readInbox, waitForInbox } from './flow.ts';
import { WHITLOCK_IDENTIFIERS, whitlockIncident } from './whitlock.ts';

// One hub for the file: real Kafka, Redis, HTTP, auth, signing; the synthetic seed and the default policy.
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub.stop();
});

describe('a high-risk domestic-abuse incident, end to end', () => {
  const incident = whitlockIncident();
  let receiptId: string;

  it('is accepted with a receipt', async () => {
    const receipt = await postIncident(hub, incident);
    expect(receipt).toMatchObject({ status: 'accepted', amendsReceiptId: null });
    receiptId = receipt.receiptId;
  });

  it('records one decision per person and the MARAC decision, each with rule, policy version and lawful basis', async () => {
    const decisions = await decisionsOf(hub, receiptId, 5);
    expect(outcomes(decisions)).toEqual({
      V1: 'DA-VICTIM-MARAC:share:gp:L85901',
      P1: 'DA-PERPETRATOR:share:gp:L85904',
      C1: 'DA-CHILD:share:gp:L85901',
      C2: 'DA-CHILD:share:gp:L85902',
      '-': 'DA-MARAC:share:marac:E06000066',
    });
    for (const decision of decisions) {
      expect(decision.decision?.policyVersion).toBe('da-2026.12.1');
      expect(decision.decision?.lawfulBasis.length).toBeGreaterThan(0);
      expect(decision.service).toBe('ig-engine');
    }
  });

  it("delivers each GP practice only its own patients' notifications, signed by the hub", async () => {
    const victimPractice = await waitForInbox(hub, 'gpVictim', 'gp:L85901', 2);
    const leoPractice = await waitForInbox(hub, 'gpOther', 'gp:L85902', 1);
    const perpetratorPractice = await waitForInbox(hub, 'gpPerpetrator', 'gp:L85904', 1);
    expect([victimPractice.length, leoPractice.length, perpetratorPractice.length]).toEqual([2, 1, 1]);

    const payloads = await Promise.all(victimPractice.map((item) => openNotification(hub, item)));
    const byRole = Object.fromEntries(payloads.map((payload) => [payload['role'] as string, payload]));
    expect(byRole['victim']).toMatchObject({
      kind: 'da-gp-notification',
      recipient: 'gp:L85901',
      rule: 'DA-VICTIM-MARAC',
      patient: { nhsNumber: '9991001018', name: { given: 'Sarah', family: 'Whitlock' } },
      incident: { force: 'ASP', incidentId: incident.incidentId, occurredOn: '2026-11-21' },
      effectiveRisk: 'high',
      childrenInvolved: true,
      maracReferralMade: true,
      markers: { confidential: true, containsThirdPartyInformation: true, withholdFromPatientOnlineAccess: true },
    });
    expect(byRole['child']).toMatchObject({ rule: 'DA-CHILD', patient: { nhsNumber: '9991001034' } });
  });

  it('minimises: a GP notification names only its own patient and never carries the circumstances', async () => {
    const items = [
      ...(await readInbox(hub, 'gpVictim', 'gp:L85901')),
      ...(await readInbox(hub, 'gpOther', 'gp:L85902')),
    ];
    for (const item of items) {
      const payload = await openNotification(hub, item);
      const patient = (payload['patient'] as { nhsNumber: string }).nhsNumber;
      const text = JSON.stringify(payload);
      expect(text).not.toContain('kitchen');
      for (const [ref, identifiers] of Object.entries(WHITLOCK_IDENTIFIERS)) {
        if (identifiers[0] === patient) continue;
        for (const identifier of identifiers)
          expect(text, `${ref} leaked into ${patient}'s notification`).not.toContain(identifier);
      }
    }
  });

  it("tells the perpetrator's practice nothing about the victim or the children beyond the fact of the incident", async () => {
    const [item] = await readInbox(hub, 'gpPerpetrator', 'gp:L85904');
    const payload = await openNotification(hub, item!);
    expect(payload).toMatchObject({ role: 'perpetrator', patient: { nhsNumber: '9991001026' } });
    expect(payload).not.toHaveProperty('effectiveRisk');
    expect(payload).not.toHaveProperty('childrenInvolved');
    const text = JSON.stringify(payload);
    for (const ref of ['V1', 'C1', 'C2'] as const) {
      for (const identifier of WHITLOCK_IDENTIFIERS[ref]) expect(text).not.toContain(identifier);
    }
    expect(text).not.toContain('kitchen');
  });

  it('refers everyone to the MARAC with identities, practices, DASH and circumstances', async () => {
    const [item] = await waitForInbox(hub, 'marac', 'marac:E06000066', 1);
    const referral = await openNotification(hub, item!);
    expect(referral).toMatchObject({ kind: 'da-marac-referral', recipient: 'marac:E06000066' });
    const text = JSON.stringify(referral);
    for (const identifiers of Object.values(WHITLOCK_IDENTIFIERS)) expect(text).toContain(identifiers[0]);
    expect(text).toContain('kitchen');
    for (const practice of ['L85901', 'L85902', 'L85904']) expect(text).toContain(practice);
  });

  it('shows the force where each notification got to, without personal data, and records acknowledgement', async () => {
    const [item] = await readInbox(hub, 'gpPerpetrator', 'gp:L85904');
    const ack = await hub.call('gpPerpetrator', `/v1/inboxes/gp:L85904/notifications/${item!.id}/acknowledgement`, {
      method: 'POST',
    });
    expect(ack.status).toBe(200);

    await expect
      .poll(
        async () => {
          const response = await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`);
          const body = (await response.json()) as {
            recipients: { recipient: string; subjectRef: string | null; status: string }[];
          };
          return body.recipients.map((r) => `${r.subjectRef ?? '-'}:${r.recipient}:${r.status}`).sort();
        },
        { timeout: 15_000, interval: 250 },
      )
      .toEqual([
        '-:marac:E06000066:fetched',
        'C1:gp:L85901:fetched',
        'C2:gp:L85902:fetched',
        'P1:gp:L85904:acknowledged',
        'V1:gp:L85901:fetched',
      ]);
    const status = await (await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`)).text();
    for (const identifiers of Object.values(WHITLOCK_IDENTIFIERS)) {
      for (const identifier of identifiers) expect(status).not.toContain(identifier);
    }
  });

  it('wrote no personal data and no token to the logs of any service', () => {
    const text = hub.logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const identifiers of Object.values(WHITLOCK_IDENTIFIERS)) {
      for (const identifier of identifiers) expect(text).not.toContain(identifier);
    }
    for (const secret of ['Whitlock', 'TA1 3RE', 'kitchen', 'eyJ']) expect(text).not.toContain(secret);
  });

  it('never lets another force see the receipt: the same 404 as a receipt that does not exist, and audited', async () => {
    const response = await hub.call('otherForce', `/v1/domestic-abuse-incidents/${receiptId}`);
    const missing = await hub.call('otherForce', `/v1/domestic-abuse-incidents/rcpt_${'0'.repeat(32)}`);
    expect([response.status, missing.status]).toEqual([404, 404]);
    const problem = async (r: Response) => {
      const { instance: _i, traceId: _t, requestId: _r, ...rest } = (await r.json()) as Record<string, unknown>;
      return rest;
    };
    expect(await problem(response)).toEqual(await problem(missing));
    let denied: AuditEvent[] = [];
    await expect
      .poll(
        async () => {
          denied = (await auditSearch(hub, { receiptId })).filter((event) => event.action === 'access-denied');
          return denied.length;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(1);
    expect(denied[0]).toMatchObject({
      service: 'police-gateway',
      actor: { role: 'police', organisation: 'WMP' },
      receiptId,
      incidentRef: `ASP:${incident.incidentId}`,
      reason: 'receipt-of-another-force',
    });
  });
});
