import { randomUUID } from 'node:crypto';
import { actorOf, auditEvent } from '@hub/audit';
import { callerOf, type Auth } from '@hub/auth';
import {
  AUDIT_SEARCH_LIMITS,
  auditChainParams,
  auditChainVerification,
  auditEventsTopic,
  auditSearchPage,
  isoDateTime,
  nhsNumber,
  recipient,
} from '@hub/contracts';
import { orNotReady, type HttpRequest, type HttpServer } from '@hub/http';
import type { KafkaClient } from '@hub/kafka';
import { z } from 'zod';
import { auditCursorParameter, encodeAuditCursor } from './cursor.ts';
import type { AuditStore } from './store.ts';

const SERVICE = 'audit';

/** Page sizes of `GET /v1/audit/events`: explicit, and larger than an inbox page (IG officers read trails). */
/** The contract's page bounds (contracts/src/http-api.ts), under the name this module has always used. */
export const AUDIT_PAGE_LIMITS = AUDIT_SEARCH_LIMITS;

export interface AuditRoutesDeps {
  readonly auth: Auth;
  readonly store: AuditStore;
  readonly kafka: KafkaClient;
  readonly now: () => Date;
}

/**
 * Every filter is optional and they combine with AND. With none, an IG officer browses the whole trail by time,
 * oldest first (narrow it with `from` / `to`); every page is bounded by `limit`, and every search is audited.
 */
const searchQuery = z
  .object({
    receiptId: z
      .string()
      .regex(/^rcpt_[a-f0-9]{32}$/, 'must be a receipt id: rcpt_ and 32 lower-case hex digits')
      .optional(),
    nhsNumber: nhsNumber.optional(),
    recipient: recipient.optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    cursor: auditCursorParameter.optional(),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${AUDIT_PAGE_LIMITS.pageSize}`)
      .transform(Number)
      .pipe(z.int().min(1).max(AUDIT_PAGE_LIMITS.pageSize))
      .default(AUDIT_PAGE_LIMITS.defaultPageSize),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) > Date.parse(query.to)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    }
  });

/**
 * The audit API under `/v1`, for IG officers only: search the trail and verify a partition's hash chain. A search
 * is itself audited (`audit-searched`, with the NHS number, receipt and recipient searched for) and the event is
 * committed to Kafka before anything is read, so nobody looks at the trail unaudited; if Kafka fails, 503.
 */
export function registerAuditRoutes(app: HttpServer, deps: AuditRoutesDeps): void {
  const { auth, store, kafka } = deps;

  const audit = (request: HttpRequest, publish: () => Promise<void>): Promise<void> =>
    orNotReady(publish, 'The audit trail could not be written, so the search was not run. Retry later.', request.log);

  auth.registerProtected(app, { prefix: '/v1' }, (scope) => {
    scope.get(
      '/audit/events',
      {
        onRequest: auth.requireRole('ig-officer'),
        schema: { querystring: searchQuery, response: { 200: auditSearchPage } },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const query = request.query;
        // Each search is its own act (two identical searches are two events): a nonce keeps them apart.
        const searched = auditEvent(
          SERVICE,
          'audit-searched',
          deps.now(),
          {
            actor: actorOf(caller),
            receiptId: query.receiptId ?? null,
            nhsNumber: query.nhsNumber ?? null,
            recipient: query.recipient ?? null,
          },
          [randomUUID()],
        );
        await audit(request, () =>
          kafka.publish(auditEventsTopic, [{ key: query.receiptId ?? caller.organisation, value: searched }]),
        );

        // One more than the page, to know whether there is a next page without a trailing empty one.
        const found = await store.search({
          receiptId: query.receiptId,
          nhsNumber: query.nhsNumber,
          recipient: query.recipient,
          from: query.from === undefined ? undefined : new Date(query.from),
          to: query.to === undefined ? undefined : new Date(query.to),
          after: query.cursor,
          limit: query.limit + 1,
        });
        const items = found.slice(0, query.limit);
        const last = items.at(-1);
        request.log.info({ results: items.length, auditEventId: searched.eventId }, 'audit searched');
        void reply.header('cache-control', 'no-store');
        return {
          items,
          nextCursor:
            found.length > query.limit && last !== undefined
              ? encodeAuditCursor({ time: Date.parse(last.at), eventId: last.eventId })
              : null,
        };
      },
    );

    scope.get(
      '/audit/chains/:partition/verification',
      {
        onRequest: auth.requireRole('ig-officer'),
        schema: { params: auditChainParams, response: { 200: auditChainVerification } },
      },
      async (request, reply) => {
        const { partition } = request.params;
        const result = await store.verifyChain(partition);
        request.log.info({ partition, ok: result.ok }, 'audit chain verified');
        void reply.header('cache-control', 'no-store');
        return { partition, ...result };
      },
    );
  });
}
