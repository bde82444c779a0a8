import { randomUUID } from 'node:crypto';
import { actorOf, auditEvent } from '@hub/audit';
import { auditEventsTopic, HTTP_ROUTES, STEPS, type Caller, type InboxStatus, type Recipient } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute, type HttpRequest, type RouteBinding } from '@hub/http';
import { requestPublish, requestTransaction, type KafkaClient } from '@hub/kafka';
import { cursorAfter, encodeInboxCursor, INBOX_START, inboxCursor } from './cursor.ts';
import { mayUseInbox } from './scope.ts';
import type { InboxStore, StoredNotification } from './store.ts';

const SERVICE = 'inbox';

export interface InboxRoutesDeps {
  readonly store: InboxStore;
  readonly kafka: KafkaClient;
  readonly now: () => Date;
}

const NO_INBOX = 'There is no inbox at this address for this client.';
const NO_NOTIFICATION = 'There is no such notification in this inbox.';

/**
 * `listInboxNotifications` and `acknowledgeNotification` (contracts/src/http-api.ts), each scoped to the caller's
 * own inboxes; anything else is a 404 that does not say whether the inbox exists, audited as `access-denied`.
 * Fetching and acknowledging are audited before they take effect: the audit events are committed to Kafka first
 * and only then does the status move, so a Kafka failure (503) changes nothing.
 */
export function inboxRoutes(deps: InboxRoutesDeps): RouteBinding[] {
  const { store, kafka } = deps;

  /** 404 for an inbox that is not the caller's, after auditing the attempt. */
  async function requireOwnInbox(
    request: HttpRequest,
    caller: Caller,
    recipient: Recipient,
    notFound: string,
    notification: string | null = null,
  ): Promise<void> {
    if (mayUseInbox(caller, recipient)) return;
    // A refusal is one act per request, not a retried step: a nonce of ours (not the client's x-request-id, which
    // it could repeat) keeps repeated attempts apart, where the content-derived id alone would fold them into one.
    const event = auditEvent(
      SERVICE,
      'access-denied',
      deps.now(),
      { actor: actorOf(caller), recipient, notificationId: notification, reason: 'inbox-not-yours' },
      [randomUUID()],
    );
    await requestPublish(kafka, STEPS.inboxRequests, auditEventsTopic, [{ key: caller.organisation, value: event }]);
    request.log.info({ clientId: caller.clientId, reason: 'inbox-not-yours' }, 'inbox access denied');
    throw new HubError('not-found', notFound);
  }

  function auditFields(caller: Caller, item: StoredNotification) {
    return {
      actor: actorOf(caller),
      recipient: item.recipient,
      notificationId: item.id,
      subjectRef: item.subjectRef,
      receiptId: item.receiptId === '' ? null : item.receiptId,
    };
  }

  /** The topic's key rule: the receipt id, or the caller's organisation for events without one. */
  function keyOf(caller: Caller, item: StoredNotification): string {
    return item.receiptId === '' ? caller.organisation : item.receiptId;
  }

  return [
    bindRoute(HTTP_ROUTES.listInboxNotifications, async ({ caller, params, query, request }) => {
      const { recipient } = params;
      await requireOwnInbox(request, caller, recipient, NO_INBOX);
      const from = query.cursor === undefined ? INBOX_START : inboxCursor.fromQuery(query.cursor);

      const items = await store.withLock(recipient, async () => {
        const page = await store.page(recipient, from, query.limit);
        const fresh = page.filter((item) => item.status === 'delivered');
        if (fresh.length === 0) return page;
        const at = deps.now();
        await requestTransaction(kafka, STEPS.inboxRequests, async (tx) => {
          await tx.publish(
            auditEventsTopic,
            fresh.map((item) => ({
              key: keyOf(caller, item),
              value: auditEvent(SERVICE, 'notification-fetched', at, auditFields(caller, item)),
            })),
          );
        });
        // Committed to the audit trail: now the statuses may move.
        const moved = new Map<string, InboxStatus | undefined>(
          await Promise.all(
            fresh.map(async (item) => [item.id, await store.advance(recipient, item.id, 'fetched', at)] as const),
          ),
        );
        request.log.info({ fetched: fresh.length }, 'inbox items fetched');
        return page.map((item) => ({ ...item, status: moved.get(item.id) ?? item.status }));
      });

      const last = items.at(-1);
      return {
        items: items.map((item) => ({
          id: item.id,
          sequence: item.position,
          kind: item.kind,
          amends: item.amends,
          issuedAt: item.issuedAt,
          status: item.status,
          jws: item.jws,
        })),
        nextCursor: last === undefined ? encodeInboxCursor(from) : cursorAfter(last.position),
      };
    }),

    bindRoute(HTTP_ROUTES.acknowledgeNotification, async ({ caller, params, request }) => {
      const { recipient, id } = params;
      await requireOwnInbox(request, caller, recipient, NO_NOTIFICATION, id);

      const acknowledgedAt = await store.withLock(recipient, async () => {
        const stored = await store.get(recipient, id);
        if (stored === undefined) throw new HubError('not-found', NO_NOTIFICATION);
        if (stored.status === 'acknowledged') {
          // A repeat: the first acknowledgement's answer, and nothing new on the audit trail.
          if (stored.acknowledgedAt === null) throw new Error('acknowledged notification without acknowledgedAt');
          return stored.acknowledgedAt;
        }
        const at = deps.now();
        await requestTransaction(kafka, STEPS.inboxRequests, async (tx) => {
          await tx.publish(auditEventsTopic, [
            {
              key: keyOf(caller, stored),
              value: auditEvent(SERVICE, 'notification-acknowledged', at, auditFields(caller, stored)),
            },
          ]);
        });
        const status = await store.advance(recipient, id, 'acknowledged', at);
        if (status !== 'acknowledged') throw new Error('the inbox store did not record the acknowledgement');
        request.log.info({ notificationId: id }, 'inbox item acknowledged');
        return at.toISOString();
      });

      return { id, status: 'acknowledged' as const, acknowledgedAt };
    }),
  ];
}
