import { setTimeout as sleep } from 'node:timers/promises';
import { auditEventsTopic, deadlinesDueTopic, STEPS } from '@hub/contracts';
import type { GroupLag, KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { Worker } from '@hub/runtime';
import { dueActions } from './decide.ts';
import type { DeadlineStore } from './store.ts';

export const CLOCK_DEFAULTS = {
  /** How often the clock looks (real time). A deadline fires within about two polls of passing. */
  pollMs: 1_000,
  /** Notifications looked at per poll; the rest wait for the next. */
  batch: 500,
  /** A ticked notification is looked at again this long after (by the hub's clock) if nothing came back. */
  retickMs: 30_000,
} as const;

export interface ClockDeps {
  readonly store: DeadlineStore;
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  /** The hub's clock (`ServiceDeps.now`): deadlines fall by it. */
  readonly now: () => Date;
  readonly pollMs?: number;
  readonly batch?: number;
  readonly retickMs?: number;
}

/**
 * The deadline clock, a worker: it keeps no timer of its own. Each poll it reads the hub's clock, then where the
 * audit trail ends (the deadlines view's progress group's lag); once that group has applied everything up to those
 * ends (the next poll, usually), every fetch and acknowledgement made before that instant is in the view, and each
 * notification due by then gets a tick on `deadlines.due.v1` saying so. The stage decides and fires (`firer.ts`).
 * Any instance may tick, and tick again after a crash: ticks repeat, firings do not.
 */
export function deadlineClock(deps: ClockDeps): Worker {
  const { store, kafka, logger, now } = deps;
  const pollMs = deps.pollMs ?? CLOCK_DEFAULTS.pollMs;
  const batch = deps.batch ?? CLOCK_DEFAULTS.batch;
  const retickMs = deps.retickMs ?? CLOCK_DEFAULTS.retickMs;

  async function tickDueBy(at: Date): Promise<number> {
    const ids = await store.due(at.getTime(), batch);
    const records = await Promise.all(ids.map(async (id) => ({ id, record: await store.read(id) })));
    const ticks = records.filter(({ record }) => dueActions(record, at).length > 0);
    // Nothing due after all (met, or already fired): reschedule from the view as it is.
    await Promise.all(records.filter((entry) => !ticks.includes(entry)).map(({ id }) => store.refresh(id)));
    if (ticks.length === 0) return 0;
    await kafka.publish(
      deadlinesDueTopic,
      ticks.map(({ id }) => ({ key: id, value: { notificationId: id, observedAt: at.toISOString() } })),
    );
    await Promise.all(ticks.map(({ id, record }) => store.snooze(id, record, at.getTime() + retickMs)));
    return ticks.length;
  }

  return {
    name: 'clock',
    reads: ['deadlines'],
    async run(signal, context) {
      /** The previous poll: the clock then, and where the audit trail ended and the group stood just after. */
      let previous: { readonly at: Date; readonly lag: GroupLag } | undefined;
      while (!signal.aborted) {
        const at = now();
        // Nothing due by now: no need to know where the audit trail ends (the common case costs one Redis read).
        if ((await context.ready()) && (await store.due(at.getTime(), 1)).length > 0) {
          const lag = await kafka.lag(STEPS.deadlineProgress.groupId, auditEventsTopic);
          if (previous !== undefined && caughtUp(previous.lag, lag)) {
            const ticked = await tickDueBy(previous.at);
            if (ticked > 0) logger.info({ ticked, observedAt: previous.at.toISOString() }, 'deadlines ticked');
          }
          previous = { at, lag };
        } else {
          previous = undefined;
        }
        await sleep(pollMs, undefined, { signal }).catch(() => undefined);
      }
    },
  };
}

/**
 * Whether the group has applied every record that was in the log at `before` (its lag then), judged `now`, per
 * partition: it has committed up to one short of where the log ended then (the last offset may be a transaction's
 * marker, which a consumer never commits past; a fetch or acknowledgement is always written in a transaction, so
 * it is never that last offset); or nothing moved between the two (the same committed offset and the same end: the
 * consumer has nothing left to read, e.g. the markers an aborted transaction leaves at the end of a quiet partition,
 * which it skips without committing).
 */
export function caughtUp(before: GroupLag, now: GroupLag): boolean {
  return before.partitions.every((then) => {
    const current = now.partitions.find((p) => p.partition === then.partition);
    if (current === undefined) return false;
    const committed = current.committed === null ? 0 : Number(current.committed);
    const idle = current.committed === then.committed && current.end === then.end;
    return committed >= Number(then.end) - 1 || idle;
  });
}
