import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditEventsTopic,
  notificationsIssuedTopic,
  SIGNED_PAYLOADS,
  signedPayload,
  type AuditEvent,
  type IssuedNotification,
  type NotificationKind,
  type SignedPayload,
} from '@hub/contracts';
import type { Output } from '@hub/kafka';
import { createKeyStore, verifyWithJwks, type HubKeyStore } from '@hub/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueNotification, type IssueSource } from './issue.ts';

let dir: string;
let keys: HubKeyStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-issue-'));
  keys = await createKeyStore({ file: join(dir, 'keys.json'), generateIfMissing: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function example(kind: NotificationKind): SignedPayload {
  return signedPayload.parse(SIGNED_PAYLOADS[kind].examples[0].value);
}

const AT = new Date('2026-11-23T10:00:00.000Z');
const WITHDRAWN: IssueSource = {
  service: 'dispatcher',
  receiptId: `rcpt_${'a'.repeat(32)}`,
  incidentRef: 'ASP:ASP-2026-004417',
  subjectRef: 'P2',
  nhsNumber: null,
  routedReason: 'no-longer-shared',
  at: AT,
};

function parts(outputs: Output[]) {
  return {
    topics: outputs.map((o) => [o.topic.name, o.key]),
    issued: outputs.filter((o) => o.topic === notificationsIssuedTopic).map((o) => o.value as IssuedNotification),
    audited: outputs.filter((o) => o.topic === auditEventsTopic).map((o) => o.value as AuditEvent),
  };
}

describe('issueNotification', () => {
  it('issues the record to the recipient, then routed and signed audit events keyed by the source', async () => {
    const payload = example('da-withdrawal');
    if (payload.kind !== 'da-withdrawal') throw new Error('not a withdrawal');
    const { topics, issued, audited } = parts(await issueNotification(keys, payload, WITHDRAWN));

    expect(topics).toEqual([
      [notificationsIssuedTopic.name, payload.recipient],
      [auditEventsTopic.name, WITHDRAWN.receiptId],
      [auditEventsTopic.name, WITHDRAWN.receiptId],
    ]);
    expect(issued).toEqual([
      {
        notificationId: payload.notificationId,
        recipient: payload.recipient,
        kind: 'da-withdrawal',
        receiptId: WITHDRAWN.receiptId,
        subjectRef: 'P2',
        amends: payload.amends,
        issuedAt: '2026-11-23T10:00:00.000Z',
        jws: expect.any(String) as string,
      },
    ]);
    const common = {
      at: '2026-11-23T10:00:00.000Z',
      service: 'dispatcher',
      actor: null,
      receiptId: WITHDRAWN.receiptId,
      incidentRef: 'ASP:ASP-2026-004417',
      subjectRef: 'P2',
      nhsNumber: null,
      recipient: payload.recipient,
      notificationId: payload.notificationId,
      decision: null,
    };
    expect(audited.map(({ eventId: _eventId, traceId: _traceId, ...event }) => event)).toEqual([
      { ...common, action: 'notification-routed', reason: 'no-longer-shared' },
      { ...common, action: 'notification-signed', reason: keys.activeKid },
    ]);
    expect(new Set(audited.map((event) => event.eventId)).size).toBe(2);
  });

  it.each(['cp-gp-notification', 'da-marac-referral', 'da-withdrawal'] as const)(
    'signs %s so that it verifies with the JWKS, typ <kind>+jws, over the payload exactly',
    async (kind) => {
      const payload = example(kind);
      const [record] = parts(await issueNotification(keys, payload, WITHDRAWN)).issued;
      const verified = await verifyWithJwks(record?.jws ?? '', keys.publicJwks(), { algorithms: ['ES256', 'RS512'] });
      expect(verified.header).toEqual({ alg: keys.algorithm, kid: keys.activeKid, typ: `${kind}+jws` });
      expect(verified.payload).toEqual(payload);
    },
  );

  it('records amends null for a payload that cannot amend (child protection), with the NHS number audited', async () => {
    const payload = example('cp-gp-notification');
    const source = {
      ...WITHDRAWN,
      service: 'cp-notifier',
      subjectRef: null,
      nhsNumber: '9991001034',
      routedReason: null,
    };
    const { issued, audited } = parts(await issueNotification(keys, payload, source));
    expect(issued[0]).toMatchObject({ kind: 'cp-gp-notification', subjectRef: null, amends: null });
    expect(audited.map((event) => [event.service, event.nhsNumber, event.subjectRef, event.reason])).toEqual([
      ['cp-notifier', '9991001034', null, null],
      ['cp-notifier', '9991001034', null, keys.activeKid],
    ]);
  });

  it("carries the source's lineage on the issued record only (no key when there is none)", async () => {
    const payload = example('da-withdrawal');
    const lineage = {
      incidentRef: 'ASP:ASP-2026-004417',
      decisionOffset: '42',
      slotKind: 'da-gp-notification',
    } as const;
    const withLineage = parts(await issueNotification(keys, payload, { ...WITHDRAWN, lineage }));
    const without = parts(await issueNotification(keys, payload, WITHDRAWN));
    expect(withLineage.issued[0]?.lineage).toEqual(lineage);
    expect(Object.keys(without.issued[0] ?? {})).not.toContain('lineage');
    const ids = (audited: AuditEvent[]) => audited.map((event) => event.eventId);
    expect(ids(withLineage.audited)).toEqual(ids(without.audited));
  });

  it('gives byte-identical ids for the same input, and other ids for another source', async () => {
    const payload = example('da-gp-notification');
    const ids = async (source: IssueSource) => {
      const { issued, audited } = parts(await issueNotification(keys, payload, source));
      return JSON.stringify([issued.map((record) => record.notificationId), audited.map((event) => event.eventId)]);
    };
    const first = await ids(WITHDRAWN);
    expect(await ids(WITHDRAWN)).toBe(first);
    expect(await ids({ ...WITHDRAWN, at: new Date('2026-11-24T10:00:00.000Z') })).toBe(first);
    expect(await ids({ ...WITHDRAWN, receiptId: `rcpt_${'b'.repeat(32)}` })).not.toBe(first);
  });
});
