import { randomUUID } from 'node:crypto';
import { actorOf, auditEvent } from '@hub/audit';
import { HTTP_ROUTES, signedPayload, signedPayloadType } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute, type RouteBinding } from '@hub/http';
import type { InboxStore } from '@hub/inbox';
import type { Queryable } from '@hub/postgres';
import { JWS_ALGORITHMS, verifyWithJwks, type HubKeyStore } from '@hub/signing';
import { readDashboard } from './dashboard.ts';
import type { ConsoleAudit } from './session-routes.ts';
import { findNotification, organisationOf, readTimeline } from './trail.ts';

const SERVICE = 'console';
const NOT_FOUND = "There is no such notification in the caller's scope.";

export interface ApiRoutesDeps {
  /** The audit trail's tables, in the served generation of the `audit` view (read-only). */
  readonly trail: () => Queryable;
  readonly inbox: InboxStore;
  readonly keyStore: HubKeyStore;
  readonly audit: ConsoleAudit;
  readonly now: () => Date;
}

/**
 * The console's reading routes, each audited before it answers: the timeline (as a search of the record), opening a
 * notification's content (with the reason, committed to Kafka before the content is answered) and the dashboard
 * (counts only, `console-dashboard-viewed`).
 */
export function apiRoutes(deps: ApiRoutesDeps): RouteBinding[] {
  const { audit, now } = deps;
  return [
    bindRoute(HTTP_ROUTES.getConsoleTimeline, async ({ caller, query, request }) => {
      const organisation = organisationOf(caller);
      // Each look is its own act: a nonce keeps two identical ones apart.
      const searched = auditEvent(
        SERVICE,
        'audit-searched',
        now(),
        {
          actor: actorOf(caller),
          receiptId: query.receiptId ?? null,
          incidentRef: query.incidentRef ?? null,
          reason: organisation === null ? 'scope:hub' : `scope:${organisation}`,
        },
        [randomUUID()],
      );
      // As the audit search records a search: the record it named, and its order.
      await audit.record([{ ...searched, searchFilters: { order: 'oldest' } }]);
      const subject =
        query.receiptId === undefined ? { incidentRef: query.incidentRef ?? '' } : { receiptId: query.receiptId };
      const timeline = await readTimeline(deps.trail(), caller, subject, request.log);
      request.log.info({ events: timeline.items.length, auditEventId: searched.eventId }, 'timeline read');
      return timeline;
    }),

    bindRoute(HTTP_ROUTES.viewNotificationContent, async ({ caller, params, body, request }) => {
      const { notificationId } = params;
      const found = await findNotification(deps.trail(), caller, notificationId);
      const stored = found === undefined ? undefined : await deps.inbox.get(found.recipient, notificationId);
      if (found === undefined || stored === undefined) {
        await audit.record([
          auditEvent(
            SERVICE,
            'access-denied',
            now(),
            { actor: actorOf(caller), notificationId, reason: 'content-not-in-scope' },
            [randomUUID()],
          ),
        ]);
        request.log.info({ reason: 'content-not-in-scope' }, 'content view refused');
        throw new HubError('not-found', NOT_FOUND);
      }
      const viewedAt = now();
      const viewed = {
        ...auditEvent(
          SERVICE,
          'notification-content-viewed',
          viewedAt,
          {
            actor: actorOf(caller),
            receiptId: found.receiptId,
            recipient: found.recipient,
            subjectRef: found.subjectRef,
            notificationId,
            reason: body.reason,
          },
          [randomUUID()],
        ),
        ...(body.note === undefined ? {} : { reasonNote: body.note }),
      };
      // On the record before anyone sees the content: if Kafka cannot take it, 503 and nothing is shown.
      await audit.record([viewed]);
      const verified = await verifyWithJwks(stored.jws, deps.keyStore.publicJwks(), { algorithms: JWS_ALGORITHMS });
      const payload = signedPayload.parse(verified.payload);
      if (verified.header.typ !== signedPayloadType(payload.kind) || payload.notificationId !== notificationId) {
        throw new Error('the stored notification does not match its signed payload');
      }
      // The reason code only: the note is never logged.
      request.log.info({ reason: body.reason, auditEventId: viewed.eventId }, 'notification content viewed');
      return {
        notificationId,
        recipient: stored.recipient,
        kind: stored.kind,
        receiptId: stored.receiptId,
        issuedAt: stored.issuedAt,
        status: stored.status,
        payload,
        kid: verified.header.kid,
        viewedAt: viewedAt.toISOString(),
        auditEventId: viewed.eventId,
      };
    }),

    bindRoute(HTTP_ROUTES.getSafeguardingDashboard, async ({ caller, query, request }) => {
      const organisation = organisationOf(caller);
      await audit.record([
        auditEvent(
          SERVICE,
          'console-dashboard-viewed',
          now(),
          { actor: actorOf(caller), reason: organisation === null ? 'scope:hub' : `scope:${organisation}` },
          [randomUUID()],
        ),
      ]);
      const dashboard = await readDashboard(deps.trail(), caller, query.from, query.to, now());
      request.log.info({ days: dashboard.days.length }, 'dashboard read');
      return dashboard;
    }),
  ];
}
