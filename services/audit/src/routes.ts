import { randomUUID } from 'node:crypto';
import { actorOf, auditEvent } from '@hub/audit';
import { AUDIT_SEARCH_LIMITS, auditEventsTopic, HTTP_ROUTES, STEPS, type AuditEvent } from '@hub/contracts';
import { bindRoute, type RouteBinding } from '@hub/http';
import { requestPublish, type KafkaClient } from '@hub/kafka';
import { auditCursorFromQuery } from './cursor.ts';
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
 * `searchAuditEvents` (contracts/src/http-api.ts), for IG officers. A search is scoped to the officer's area (a
 * national IG officer sees all: scope.ts). Every filter is optional and they combine with AND; with none, an officer
 * browses the trail by time. A search is itself audited (`audit-searched`, with everything searched for) and the
 * event is committed to Kafka before anything is read, so nobody looks at the trail unaudited; if Kafka fails, 503.
 */
export function auditRoutes(deps: AuditRoutesDeps): RouteBinding[] {
  const { store, kafka } = deps;
  return [
    bindRoute(HTTP_ROUTES.searchAuditEvents, async ({ caller, query, request }) => {
      const after = query.cursor === undefined ? undefined : auditCursorFromQuery(query.cursor, query.order);
      const scope = auditScopeOf(caller);
      const searchFilters: NonNullable<AuditEvent['searchFilters']> = {
        ...(query.actorClientId === undefined ? {} : { actorClientId: query.actorClientId }),
        ...(query.actorOrganisation === undefined ? {} : { actorOrganisation: query.actorOrganisation }),
        ...(query.action === undefined ? {} : { action: query.action }),
        ...(query.rule === undefined ? {} : { rule: query.rule }),
        ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
        order: query.order,
      };
      // Each search is its own act (two identical searches are two events): a nonce keeps them apart.
      const searched: AuditEvent = {
        ...auditEvent(
          SERVICE,
          'audit-searched',
          deps.now(),
          {
            actor: actorOf(caller),
            receiptId: query.receiptId ?? null,
            incidentRef: query.incidentRef ?? null,
            nhsNumber: query.nhsNumber ?? null,
            recipient: query.recipient ?? null,
            reason: scopeReason(scope),
          },
          [randomUUID()],
        ),
        searchFilters,
      };
      // Kafka unavailable: DependencyUnavailableError, 503 `not-ready`, and nothing is read.
      await requestPublish(kafka, STEPS.auditRequests, auditEventsTopic, [
        { key: query.receiptId ?? caller.organisation, value: searched },
      ]);

      // One more row than the page, to know whether there is a next page without a trailing empty one.
      const found = await store.search({
        receiptId: query.receiptId,
        incidentRef: query.incidentRef,
        nhsNumber: query.nhsNumber,
        recipient: query.recipient,
        actorClientId: query.actorClientId,
        actorOrganisation: query.actorOrganisation,
        action: query.action,
        rule: query.rule,
        outcome: query.outcome,
        from: query.from === undefined ? undefined : new Date(query.from),
        to: query.to === undefined ? undefined : new Date(query.to),
        order: query.order,
        after,
        limit: query.limit + 1,
        scope,
      });
      const page = auditSearchPageOf(found, query.limit, query.order);
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
  ];
}
