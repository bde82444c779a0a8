import {
  DELIVERY_MARKS,
  PLAN_STATUS_LIMITS,
  STEPS,
  deliveryMarkOf,
  deliveryViewOf,
  type AuditEvent,
  type Caller,
  type CpPlanDeliveryStatus,
  type DeliveryMark,
  type DeliveryMarks,
  type NotificationKind,
  type PlanNotificationStatus,
} from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { RedisClient } from '@hub/redis';

/**
 * The plan status view (`HUB_VIEWS['plan-status']`): for each plan, its versions and the look-ups that found it,
 * and for each of those its notifications with their delivery marks (stored, fetched, acknowledged, overdue,
 * escalated, closed, not delivered: `DELIVERY_MARKS`, first time kept). Built from the audit trail (versions, and
 * every notification event of a plan version `cpv_` or look-up `lkp_`) and `cp.flag-accessed.v1` (which plans a
 * look-up found), so replaying both rebuilds it; either may come first. Ids, inboxes and times: no personal data.
 */

const KEYS = {
  /** Sorted set: the plan's version ids, scored by when each was recorded (ms). */
  versions: (planKey: string) => `cp:status:plan:${planKey}:versions`,
  /** Sorted set: the look-ups that found the plan, scored by when (ms). */
  accesses: (planKey: string) => `cp:status:plan:${planKey}:accesses`,
  /** Set: the notification ids of a plan version or look-up. */
  source: (sourceId: string) => `cp:status:source:${sourceId}`,
  /** Hash: `recipient` and `mark.<mark>` (first time). */
  notification: (id: string) => `cp:status:ntf:${id}`,
} as const;

const MARKS = new Set<string>(DELIVERY_MARKS);

/** The plan's key in the view: `<ONS code>:<planId>`, as on the plan topics and the audit events' incidentRef. */
const planKeyOf = (ons: string, planId: string) => `${ons}:${planId}`;

/** The kind of a plan version's or look-up's notification, from its source and inbox (the notifier's routing). */
function kindOf(sourceId: string, recipient: string): NotificationKind {
  if (sourceId.startsWith('lkp_')) return 'cp-access-notification';
  return recipient.startsWith('exceptions:') ? 'cp-exception' : 'cp-gp-notification'; // an inbox, not a Redis key
}

/** The mark an audit event sets on a plan version's or look-up's notification (routed: decided, as it is issued). */
function markOf(event: AuditEvent): DeliveryMark | undefined {
  return event.action === 'notification-routed' ? 'decided' : deliveryMarkOf(event);
}

export function createPlanStatusView(redis: RedisClient) {
  async function notifications(sourceId: string): Promise<PlanNotificationStatus[]> {
    const ids = (await redis.smembers(KEYS.source(sourceId))).sort().slice(0, PLAN_STATUS_LIMITS.notifications);
    const entries = await Promise.all(
      ids.map(async (id) => {
        const fields = await redis.hgetall(KEYS.notification(id));
        const marks: DeliveryMarks = {};
        for (const [field, value] of Object.entries(fields)) {
          const mark = field.startsWith('mark.') ? field.slice(5) : '';
          if (MARKS.has(mark)) marks[mark as DeliveryMark] = value;
        }
        const recipient = fields['recipient'];
        if (recipient === undefined) return undefined;
        const view = deliveryViewOf(marks);
        return {
          notificationId: id,
          kind: kindOf(sourceId, recipient),
          recipient,
          status: view.status,
          deadline: view.deadline,
          times: view.times,
        };
      }),
    );
    return entries.filter((entry) => entry !== undefined);
  }

  return {
    /** One audit event: a plan version recorded, or an event of a plan version's or look-up's notification. */
    async apply(event: AuditEvent): Promise<void> {
      const source = event.receiptId;
      if (source === null) return;
      if (event.action === 'plan-recorded' && source.startsWith('cpv_') && event.incidentRef !== null) {
        await redis.zadd(KEYS.versions(event.incidentRef), 'NX', Date.parse(event.at), source);
        return;
      }
      const mark = markOf(event);
      if (mark === undefined || event.notificationId === null || event.recipient === null) return;
      if (!source.startsWith('cpv_') && !source.startsWith('lkp_')) return;
      const key = KEYS.notification(event.notificationId);
      await redis.sadd(KEYS.source(source), event.notificationId);
      await redis.hsetnx(key, 'recipient', event.recipient);
      await redis.hsetnx(key, `mark.${mark}`, event.at);
    },

    /** A look-up that found plans: it shows on each of them. */
    async accessed(lookupId: string, accessedAt: string, plans: readonly { localAuthority: string; planId: string }[]) {
      await Promise.all(
        plans.map((plan) =>
          redis.zadd(
            KEYS.accesses(planKeyOf(plan.localAuthority, plan.planId)),
            'NX',
            Date.parse(accessedAt),
            lookupId,
          ),
        ),
      );
    },

    /** The caller's plan with its versions' and look-ups' notifications, newest first; 404 for another's plan. */
    async status(caller: Caller, planId: string): Promise<CpPlanDeliveryStatus> {
      // An authority's plans are keyed by its own ONS code: another's plan id is simply not there.
      const planKey = planKeyOf(caller.organisation, planId);
      const [versions, accesses] = await Promise.all([
        redis.zrevrange(KEYS.versions(planKey), 0, PLAN_STATUS_LIMITS.versions - 1),
        redis.zrevrange(KEYS.accesses(planKey), 0, PLAN_STATUS_LIMITS.accesses - 1),
      ]);
      if (versions.length === 0) throw new HubError('not-found', 'No plan with this id for your authority.');
      return {
        planId,
        versions: await Promise.all(
          versions.map(async (versionId) => ({ versionId, notifications: await notifications(versionId) })),
        ),
        accessNotifications: await Promise.all(
          accesses.map(async (lookupId) => ({ lookupId, notifications: await notifications(lookupId) })),
        ),
      };
    },
  };
}

export type PlanStatusView = ReturnType<typeof createPlanStatusView>;

/** The two projectors of the plan status view. */
export function planStatusProjectors(view: PlanStatusView) {
  return [
    bindProjector(STEPS.planStatusProjector, {
      retry: OUTAGE_TOLERANT_RETRY,
      handle: ({ value }) => view.apply(value),
    }),
    bindProjector(STEPS.planStatusAccesses, {
      retry: OUTAGE_TOLERANT_RETRY,
      handle: ({ value }) => view.accessed(value.lookupId, value.accessedAt, value.plans),
    }),
  ];
}
