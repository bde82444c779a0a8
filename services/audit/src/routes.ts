import { randomUUID } from 'node:crypto';
import { actorOf, auditEvent } from '@hub/audit';
import { AUDIT_SEARCH_LIMITS, auditEventsTopic, HTTP_ROUTES, STEPS } from '@hub/contracts';
import { bindRoute, type RouteBinding } from '@hub/http';
import { requestPublish, type KafkaClient } from '@hub/kafka';
import { auditCursor } from './cursor.ts';
import { auditSearchPageOf } from './page.ts';
import { auditScopeOf, scopeReason } from './scope.ts';
import type { AuditStore } from './store.ts';

const SERVICE = 'audit';

/** The contract's page bounds (contracts/src/http-api.ts), under the name this module has always used. */
export const AUDIT_PAGE_LIMITS = AUDIT_SEARCH_LIMITS;

export interface AuditRoutesDeps {
  readonly store: AuditStore;
  readonly kafka: KafkaClient;
  readonly now: () => Date;
}

/**
 * `searchAuditEvents`, `verifyAuditChain` and `verifyAuditChains` (contracts/src/http-api.ts), for IG officers. A
 * search is scoped to the officer's area (a national IG officer sees all: scope.ts); a verification reveals positions
 * and counts only, never content, so any IG officer may run it, for one partition or for all in one call. Every
 * filter is optional and they combine with AND; with none, an officer browses the trail by time, oldest first. A
 * search is itself audited (`audit-searched`, with what was searched for) and the event is committed to Kafka before
 * anything is read, so nobody looks at the trail unaudited; if Kafka fails, 503.
 */
export function auditRoutes(deps: AuditRoutesDeps): RouteBinding[] {
  const { store, kafka } = deps;
  return [
    bindRoute(HTTP_ROUTES.searchAuditEvents, async ({ caller, query, request }) => {
      const after = query.cursor === undefined ? undefined : auditCursor.fromQuery(query.cursor);
      const scope = auditScopeOf(caller);
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
          reason: scopeReason(scope),
        },
        [randomUUID()],
      );
      // Kafka unavailable: DependencyUnavailableError, 503 `not-ready`, and nothing is read.
      await requestPublish(kafka, STEPS.auditRequests, auditEventsTopic, [
        { key: query.receiptId ?? caller.organisation, value: searched },
      ]);

      // One more than the page, to know whether there is a next page without a trailing empty one.
      const found = await store.search({
        receiptId: query.receiptId,
        nhsNumber: query.nhsNumber,
        recipient: query.recipient,
        from: query.from === undefined ? undefined : new Date(query.from),
        to: query.to === undefined ? undefined : new Date(query.to),
        after,
        limit: query.limit + 1,
        scope,
      });
      const page = auditSearchPageOf(found, query.limit);
      request.log.info({ results: page.items.length, auditEventId: searched.eventId }, 'audit searched');
      if (page.integrity.unreadable > 0) {
        // Positions only: an unreadable event's content is never logged.
        request.log.warn(
          { auditEventId: searched.eventId, integrity: page.integrity },
          'audit search met unreadable events',
        );
      }
      return page;
    }),

    bindRoute(HTTP_ROUTES.verifyAuditChain, async ({ params, request }) => {
      const { partition } = params;
      const result = await store.verifyChain(partition);
      request.log.info({ partition, ok: result.ok }, 'audit chain verified');
      return { partition, ...result };
    }),

    bindRoute(HTTP_ROUTES.verifyAuditChains, async ({ request }) => {
      const partitions = await Promise.all(
        Array.from({ length: auditEventsTopic.partitions }, async (_, partition) => ({
          partition,
          ...(await store.verifyChain(partition)),
        })),
      );
      const intact = partitions.filter((result): result is Extract<typeof result, { ok: true }> => result.ok);
      const broken = partitions.filter((result) => !result.ok).map((result) => result.partition);
      request.log.info({ partitions: partitions.length, broken }, 'audit chains verified');
      return broken.length === 0 ? { ok: true as const, partitions: intact } : { ok: false as const, partitions };
    }),
  ];
}
