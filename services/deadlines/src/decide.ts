import {
  ESCALATED_DEADLINES,
  type DeliveryMarks,
  type IssuedDeadlines,
  type NotificationKind,
  type Recipient,
} from '@hub/contracts';

/** What the deadlines view holds of one notification: when it was issued, its deadlines, and what happened since. */
export interface Schedule {
  readonly recipient: Recipient;
  readonly kind: NotificationKind;
  readonly receiptId: string;
  readonly subjectRef: string | null;
  readonly issuedAt: string;
  readonly deadlines: IssuedDeadlines;
}

export interface DeliveryRecord {
  /** Absent until its issued record is in the view (its audit events may come first). */
  readonly schedule?: Schedule;
  readonly marks: DeliveryMarks;
  /**
   * When a later notification to the same inbox replaced it (an amendment, or a withdrawal of it: `amends`). Its
   * replacement carries deadlines of its own, so nothing more is due for it; an escalation still open is closed
   * when it is met.
   */
  readonly supersededAt?: string;
}

export type EscalatedDeadline = (typeof ESCALATED_DEADLINES)[number];

/**
 * One thing the deadline stage does for a notification, once: a fetch or acknowledgement deadline passed unmet
 * (`overdue`: recorded, and an escalation notice when the rule escalates); the final deadline passed unacknowledged
 * (`final`); an escalation whose deadline has now been met (`close`: the escalation recipient is told).
 */
export type DeadlineAction =
  | { readonly type: 'overdue'; readonly deadline: EscalatedDeadline }
  | { readonly type: 'final' }
  | { readonly type: 'close'; readonly deadline: EscalatedDeadline };

/** A stable name per action: the claim's field, and part of nothing else. */
export function actionKey(action: DeadlineAction): string {
  return action.type === 'final' ? 'final' : `${action.type}:${action.deadline}`;
}

const fetched = (marks: DeliveryMarks) => marks.fetched !== undefined || marks.acknowledged !== undefined;
const acknowledged = (marks: DeliveryMarks) => marks.acknowledged !== undefined;

/** Whether a deadline has been met (at any time: a deadline met late is not escalated once met). */
function met(marks: DeliveryMarks, deadline: EscalatedDeadline | 'final'): boolean {
  return deadline === 'fetch' ? fetched(marks) : acknowledged(marks);
}

/**
 * The marks as of `at`: a fetch or acknowledgement after it had not happened yet at `at` (the view may already hold
 * it; the next tick sees it). What fired counts whenever it fired.
 */
function asOf(marks: DeliveryMarks, at: number): DeliveryMarks {
  const happened = (time: string | undefined) => (time !== undefined && Date.parse(time) <= at ? time : undefined);
  const { fetched: _fetched, acknowledged: _acknowledged, ...fired } = marks;
  const fetched = happened(marks.fetched);
  const acknowledged = happened(marks.acknowledged);
  return {
    ...fired,
    ...(fetched === undefined ? {} : { fetched }),
    ...(acknowledged === undefined ? {} : { acknowledged }),
  };
}

/** The actions due for `record` at `at`, as of `at`, in the order the deadlines fall; none without a schedule. */
export function dueActions(record: DeliveryRecord, at: Date): DeadlineAction[] {
  const { schedule } = record;
  if (schedule === undefined) return [];
  const now = at.getTime();
  const marks = asOf(record.marks, now);
  const superseded = record.supersededAt !== undefined && Date.parse(record.supersededAt) <= now;
  const passed = (due: string) => Date.parse(due) <= now;
  const actions: DeadlineAction[] = [];
  for (const deadline of ESCALATED_DEADLINES) {
    if (marks[`overdue:${deadline}`] === undefined) {
      if (!superseded && passed(schedule.deadlines[deadline].due) && !met(marks, deadline)) {
        actions.push({ type: 'overdue', deadline });
      }
    } else if (
      marks[`escalated:${deadline}`] !== undefined &&
      marks[`closed:${deadline}`] === undefined &&
      met(marks, deadline)
    ) {
      actions.push({ type: 'close', deadline });
    }
  }
  if (
    !superseded &&
    marks['not-delivered'] === undefined &&
    passed(schedule.deadlines.final.due) &&
    !acknowledged(marks)
  ) {
    actions.push({ type: 'final' });
  }
  return actions;
}

/**
 * When something of `record` next falls due (ms since the epoch): 0 when an escalation is waiting to be closed,
 * the earliest deadline neither met nor fired, or null when nothing is left to do.
 */
export function nextDue(record: DeliveryRecord): number | null {
  const { schedule, marks } = record;
  if (schedule === undefined) return null;
  const superseded = record.supersededAt !== undefined;
  let next: number | null = null;
  const consider = (due: string) => {
    const at = Date.parse(due);
    next = next === null ? at : Math.min(next, at);
  };
  for (const deadline of ESCALATED_DEADLINES) {
    if (marks[`overdue:${deadline}`] === undefined) {
      if (!superseded && !met(marks, deadline)) consider(schedule.deadlines[deadline].due);
    } else if (
      marks[`escalated:${deadline}`] !== undefined &&
      marks[`closed:${deadline}`] === undefined &&
      met(marks, deadline)
    ) {
      return 0;
    }
  }
  if (!superseded && marks['not-delivered'] === undefined && !acknowledged(marks)) {
    consider(schedule.deadlines.final.due);
  }
  return next;
}
