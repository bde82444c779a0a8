import { auditEvent, issueNotification } from '@hub/audit';
import {
  auditEventsTopic,
  contentId,
  STEPS,
  type AuditEvent,
  type DeadlineOutcome,
  type DeliveryMarks,
  type LawfulBasis,
} from '@hub/contracts';
import { bindStage, OUTAGE_TOLERANT_RETRY, output, type Output, type StageBinding } from '@hub/kafka';
import type { HubKeyStore } from '@hub/signing';
import { actionKey, dueActions, type DeadlineAction, type EscalatedDeadline, type Schedule } from './decide.ts';
import type { DeadlineStore } from './store.ts';

const SERVICE = 'deadlines';

/**
 * The deadline stage's lawful basis for what it records and sends: its notices carry ids, inboxes, a rule and
 * times, never personal data; watching that a safeguarding notification arrived is part of the public task.
 */
const LAWFUL_BASIS: readonly LawfulBasis[] = ['uk-gdpr-6-1-e'];

export interface FirerDeps {
  readonly keys: HubKeyStore;
  readonly store: DeadlineStore;
}

/**
 * Tick -> what fell due (`dueActions`, as of the tick's `observedAt`, on the deadlines view), each action claimed
 * for the tick's offset (`DeadlineStore.claim`) and fired in the stage's transaction: audited with its rule and
 * policy version, and the notice it sends signed and issued. Ticks of one notification share a partition, so they
 * are handled one after another; whatever fired is back in the view from the audit trail, and until then the claim
 * stops a later tick. So each action fires once, however many ticks, instances or restarts.
 */
export function deadlineFirer(deps: FirerDeps): StageBinding {
  return bindStage(STEPS.deadlineFirer, {
    // Reads and claims in Redis: an outage must not dead-letter a deadline.
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async ({ value: tick, offset }) => {
      const record = await deps.store.read(tick.notificationId);
      const { schedule } = record;
      if (schedule === undefined) return [];
      const at = new Date(tick.observedAt);
      const outputs: Output[] = [];
      for (const action of dueActions(record, at)) {
        if (!(await deps.store.claim(tick.notificationId, actionKey(action), offset))) continue;
        outputs.push(...(await fire(deps.keys, tick.notificationId, schedule, record.marks, action, at)));
      }
      return outputs;
    },
  });
}

/** The outputs of one action: its audit events, and the signed notice it sends (if any). */
export async function fire(
  keys: Pick<HubKeyStore, 'sign' | 'activeKid'>,
  id: string,
  schedule: Schedule,
  marks: DeliveryMarks,
  action: DeadlineAction,
  at: Date,
): Promise<Output[]> {
  const { deadlines } = schedule;
  const late = {
    notificationId: id,
    kind: schedule.kind,
    recipient: schedule.recipient,
    receiptId: schedule.receiptId,
    issuedAt: schedule.issuedAt,
  };
  const audit = (
    action: AuditEvent['action'],
    when: Date,
    outcome: DeadlineOutcome,
    reason: string,
    deadline: string,
  ): Output =>
    output(auditEventsTopic, {
      key: schedule.receiptId,
      value: auditEvent(SERVICE, action, when, {
        receiptId: schedule.receiptId,
        subjectRef: schedule.subjectRef,
        recipient: schedule.recipient,
        notificationId: id,
        decision: {
          rule: deadlines.rule,
          policyVersion: deadlines.policyVersion,
          outcome,
          lawfulBasis: [...LAWFUL_BASIS],
          reason: reason.slice(0, 300),
        },
        reason: deadline,
      }),
    });
  // The notices come from the late notification: its id is their receipt id (never a sender's receipt, whose
  // status shows recipients only), so their own audit events are keyed by it.
  const issue = (payload: Parameters<typeof issueNotification>[1], deadline: string) =>
    issueNotification(keys, payload, {
      service: SERVICE,
      receiptId: id,
      incidentRef: null,
      subjectRef: null,
      nhsNumber: null,
      routedReason: deadline,
      at,
    });
  const describe = (deadline: EscalatedDeadline | 'final') => {
    const due = deadline === 'final' ? deadlines.final : deadlines[deadline];
    return `${deadline} deadline ${due.due} (${String(due.within)} ${deadlines.unit} after issue) passed unmet`;
  };

  switch (action.type) {
    case 'overdue': {
      const { deadline } = action;
      const due = deadlines[deadline];
      const outputs = [
        audit(
          'notification-overdue',
          new Date(due.due),
          'overdue',
          `${describe(deadline)}: ${due.escalateTo === null ? 'recorded only' : `escalated to ${due.escalateTo}`}`,
          deadline,
        ),
      ];
      if (due.escalateTo === null) return outputs;
      outputs.push(
        ...(await issue(
          {
            kind: 'delivery-escalation',
            notificationId: escalationId(id, deadline),
            recipient: due.escalateTo,
            concerns: late,
            deadline,
            rule: deadlines.rule,
            policyVersion: deadlines.policyVersion,
            due: due.due,
            sender: deadlines.reportTo,
            markers: { confidential: true },
          },
          deadline,
        )),
        audit(
          'notification-escalated',
          at,
          'escalated',
          `${describe(deadline)}: escalation notice to ${due.escalateTo}`,
          deadline,
        ),
      );
      return outputs;
    }
    case 'close': {
      const { deadline } = action;
      const escalateTo = deadlines[deadline].escalateTo;
      if (escalateTo === null) return [];
      const byFetch = deadline === 'fetch' && marks.fetched !== undefined;
      const metAt = (byFetch ? marks.fetched : marks.acknowledged) ?? at.toISOString();
      const closedBy = byFetch ? 'fetched' : 'acknowledged';
      return [
        ...(await issue(
          {
            kind: 'escalation-closed',
            notificationId: contentId('ntf', id, 'escalation-closed', deadline),
            recipient: escalateTo,
            closes: escalationId(id, deadline),
            concerns: late,
            deadline,
            rule: deadlines.rule,
            policyVersion: deadlines.policyVersion,
            closedBy,
            at: metAt,
            markers: { confidential: true },
          },
          deadline,
        )),
        audit(
          'escalation-closed',
          at,
          'escalation-closed',
          `${closedBy} at ${metAt}, after the ${deadline} deadline ${deadlines[deadline].due}: ${escalateTo} told`,
          deadline,
        ),
      ];
    }
    case 'final': {
      const { final, reportTo } = deadlines;
      const reports = final.then === 'non-delivery-report' && reportTo !== null;
      const escalatedTo =
        marks['escalated:fetch'] !== undefined || marks['escalated:acknowledge'] !== undefined
          ? (deadlines.fetch.escalateTo ?? deadlines.acknowledge.escalateTo)
          : null;
      const outputs = [
        audit(
          'notification-not-delivered',
          new Date(final.due),
          'not-delivered',
          `${describe('final')}: not delivered; ${reports ? `non-delivery report to ${reportTo}` : 'recorded only'}`,
          'final',
        ),
      ];
      if (!reports) return outputs;
      outputs.push(
        ...(await issue(
          {
            kind: 'non-delivery-report',
            notificationId: contentId('ntf', id, 'non-delivery-report'),
            recipient: reportTo,
            concerns: { ...late, subjectRef: schedule.subjectRef },
            rule: deadlines.rule,
            policyVersion: deadlines.policyVersion,
            due: final.due,
            reached: marks.fetched === undefined ? 'delivered' : 'fetched',
            escalatedTo,
            markers: { confidential: true },
          },
          'final',
        )),
      );
      return outputs;
    }
  }
}

/** The escalation notice of a notification's deadline: its closure names it. */
export function escalationId(notificationId: string, deadline: EscalatedDeadline): string {
  return contentId('ntf', notificationId, 'delivery-escalation', deadline);
}
