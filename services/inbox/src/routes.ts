import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { actorOf, auditEvent } from '@hub/audit';
import { callerOf, type Auth } from '@hub/auth';
import {
  auditEventsTopic,
  INBOX_LIMITS,
  inboxAcknowledgement,
  inboxNotificationParams,
  inboxPage,
  inboxParams,
  type Caller,
  type InboxStatus,
  type Recipient,
} from '@hub/contracts';
import { HubError } from '@hub/errors';
import { orNotReady, type HttpRequest, type HttpServer } from '@hub/http';
import type { KafkaClient } from '@hub/kafka';
import { publicJwks, type HubKeyStore } from '@hub/signing';
import { z } from 'zod';
import { encodeInboxCursor, inboxCursorParameter } from './cursor.ts';
import { mayUseInbox } from './scope.ts';
import type { InboxStore, StoredNotification } from './store.ts';

const SERVICE = 'inbox';

/** The roles that have inboxes; every other role gets 403 on these routes. Which inbox is decided by scope.ts. */
const INBOX_ROLES = ['gp', 'marac', 'local-authority'] as const;

/**
 * Serialises fetches and acknowledgements per inbox, across instances, so two concurrent polls cannot both see
 * an item as `delivered` and both audit its fetch. The lock outlives the 10 s handler timeout and expires by
 * itself if its holder dies; a request that cannot get it within `waitMs` gets 409 and retries.
 */
export const INBOX_LOCK = { ttlMs: 15_000, waitMs: 2_000, retryMs: 25 } as const;

/** How long clients and caches may keep the public JWKS. Rotation publishes a new key well before it signs. */
const JWKS_MAX_AGE_SECONDS = 300;

export interface InboxRoutesDeps {
  readonly auth: Auth;
  readonly store: InboxStore;
  readonly kafka: KafkaClient;
  /** The hub's signing keys; only their public half (`publicJwks()`) is ever used here. */
  readonly keyStore: Pick<HubKeyStore, 'publicJwks'>;
  readonly now: () => Date;
  /**
   * Stable per service instance and different from every other user of the Kafka client (e.g. not the
   * projector's `inbox-store`): the fetch and acknowledgement audit transactions run under it.
   */
  readonly transactionalId: string;
}

const pageQuery = z
  .object({
    cursor: inboxCursorParameter.optional(),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${INBOX_LIMITS.pageSize}`)
      .transform(Number)
      .pipe(z.int().min(1).max(INBOX_LIMITS.pageSize))
      .default(INBOX_LIMITS.defaultPageSize),
  })
  .strict();

/** An acknowledgement carries nothing; an empty JSON object (or no body) is accepted, anything else is refused. */
const acknowledgementBody = z.object({}).strict().nullish();

const NO_INBOX = 'There is no inbox at this address for this client.';
const NO_NOTIFICATION = 'There is no such notification in this inbox.';

/**
 * The inbox API under `/v1` and the hub's public JWKS. Every inbox route needs a bearer token with an inbox role
 * and is scoped to the caller's own inboxes; anything else is a 404 that does not say whether the inbox exists,
 * audited as `access-denied`. Fetching and acknowledging are audited before they take effect: the audit events
 * are committed to Kafka first and only then does the status move, so a Kafka failure (503) changes nothing.
 */
export function registerInboxRoutes(app: HttpServer, deps: InboxRoutesDeps): void {
  const { auth, store, kafka } = deps;

  /** A Kafka failure becomes 503 (retry later), and nothing was changed. */
  const audit = (request: HttpRequest, publish: () => Promise<void>): Promise<void> =>
    orNotReady(publish, 'The audit trail could not be written, so nothing was changed. Retry later.', request.log);

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
    await audit(request, () => kafka.publish(auditEventsTopic, [{ key: caller.organisation, value: event }]));
    request.log.info({ clientId: caller.clientId, reason: 'inbox-not-yours' }, 'inbox access denied');
    throw new HubError('not-found', notFound);
  }

  async function withInboxLock<R>(recipient: Recipient, work: () => Promise<R>): Promise<R> {
    // The real clock, not deps.now: this is waiting, not a recorded time.
    const deadline = Date.now() + INBOX_LOCK.waitMs;
    for (;;) {
      const release = await store.lock(recipient, INBOX_LOCK.ttlMs);
      if (release !== undefined) {
        try {
          return await work();
        } finally {
          await release();
        }
      }
      if (Date.now() >= deadline) {
        throw new HubError('conflict', 'Another request on this inbox is in progress; retry shortly.');
      }
      await sleep(INBOX_LOCK.retryMs);
    }
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

  // Public keys are public: clients need them to verify notifications (and tokens) before they hold any token,
  // so this is the one deliberate exception to "every endpoint is authenticated". publicJwks copies public
  // members only, and the response schema refuses a private member as a second line of defence.
  app.get('/.well-known/jwks.json', { schema: { response: { 200: publicJwks } } }, (_request, reply) => {
    void reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    return { keys: deps.keyStore.publicJwks().keys.map((key) => ({ ...key })) };
  });

  auth.registerProtected(app, { prefix: '/v1' }, (scope) => {
    scope.get(
      '/inboxes/:recipient/notifications',
      {
        onRequest: auth.requireRole(...INBOX_ROLES),
        schema: { params: inboxParams, querystring: pageQuery, response: { 200: inboxPage } },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { recipient } = request.params;
        await requireOwnInbox(request, caller, recipient, NO_INBOX);
        const after = request.query.cursor ?? 0;

        const items = await withInboxLock(recipient, async () => {
          const page = await store.page(recipient, after, request.query.limit);
          const fresh = page.filter((item) => item.status === 'delivered');
          if (fresh.length === 0) return page;
          const at = deps.now();
          await audit(request, () =>
            kafka.transaction(deps.transactionalId, async (tx) => {
              await tx.publish(
                auditEventsTopic,
                fresh.map((item) => ({
                  key: keyOf(caller, item),
                  value: auditEvent(SERVICE, 'notification-fetched', at, auditFields(caller, item)),
                })),
              );
            }),
          );
          // Committed to the audit trail: now the statuses may move.
          const moved = new Map<string, InboxStatus | undefined>(
            await Promise.all(
              fresh.map(async (item) => [item.id, await store.advance(recipient, item.id, 'fetched', at)] as const),
            ),
          );
          request.log.info({ fetched: fresh.length }, 'inbox items fetched');
          return page.map((item) => ({ ...item, status: moved.get(item.id) ?? item.status }));
        });

        void reply.header('cache-control', 'no-store');
        return {
          items: items.map((item) => ({
            id: item.id,
            sequence: item.sequence,
            kind: item.kind,
            amends: item.amends,
            issuedAt: item.issuedAt,
            status: item.status,
            jws: item.jws,
          })),
          nextCursor: encodeInboxCursor(items.at(-1)?.sequence ?? after),
        };
      },
    );

    scope.post(
      '/inboxes/:recipient/notifications/:id/acknowledgement',
      {
        onRequest: auth.requireRole(...INBOX_ROLES),
        schema: {
          params: inboxNotificationParams,
          body: acknowledgementBody,
          response: { 200: inboxAcknowledgement },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { recipient, id } = request.params;
        await requireOwnInbox(request, caller, recipient, NO_NOTIFICATION, id);

        const acknowledgedAt = await withInboxLock(recipient, async () => {
          const stored = await store.get(recipient, id);
          if (stored === undefined) throw new HubError('not-found', NO_NOTIFICATION);
          if (stored.status === 'acknowledged') {
            // A repeat: the first acknowledgement's answer, and nothing new on the audit trail.
            if (stored.acknowledgedAt === null) throw new Error('acknowledged notification without acknowledgedAt');
            return stored.acknowledgedAt;
          }
          const at = deps.now();
          await audit(request, () =>
            kafka.transaction(deps.transactionalId, async (tx) => {
              await tx.publish(auditEventsTopic, [
                {
                  key: keyOf(caller, stored),
                  value: auditEvent(SERVICE, 'notification-acknowledged', at, auditFields(caller, stored)),
                },
              ]);
            }),
          );
          const status = await store.advance(recipient, id, 'acknowledged', at);
          if (status !== 'acknowledged') throw new Error('the inbox store did not record the acknowledgement');
          request.log.info({ notificationId: id }, 'inbox item acknowledged');
          return at.toISOString();
        });

        void reply.header('cache-control', 'no-store');
        return { id, status: 'acknowledged' as const, acknowledgedAt };
      },
    );
  });
}
