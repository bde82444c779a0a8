import { randomUUID } from 'node:crypto';
import { auditEvent } from '@hub/audit';
import type { AuthEvent } from '@hub/auth';
import { auditEventsTopic, type AuditEvent } from '@hub/contracts';
import type { RateLimitReport } from '@hub/http';
import type { KafkaClient } from '@hub/kafka';

/**
 * Every access token issued and every refusal (at the token endpoint or a protected route) goes to the audit
 * trail. A refusal records who was refused as the actor whenever the auth layer identified them (client id, role
 * and organisation), the reason code, and for a protected route its template (never the URL). The token or
 * assertion itself is never recorded.
 */
export function auditAuthEvents(kafka: KafkaClient) {
  return async (event: AuthEvent): Promise<void> => {
    const at = new Date(event.at);
    const value =
      event.outcome === 'issued'
        ? auditEvent(
            'auth',
            'token-issued',
            at,
            {
              actor: { clientId: event.clientId, role: event.role, organisation: event.organisation },
              reason: event.reason,
            },
            [event.tokenId],
          )
        : refusalEvent(event, at);
    await kafka.publish(auditEventsTopic, [{ key: event.outcome === 'issued' ? event.clientId : 'auth', value }]);
  };
}

function refusalEvent(event: Exclude<AuthEvent, { outcome: 'issued' }>, at: Date): AuditEvent {
  const { clientId, role, organisation } = event;
  // The actor is a whole caller or none: a client id alone (a malformed claim set) goes into the event's identity.
  const actor =
    clientId !== undefined && role !== undefined && organisation !== undefined
      ? { clientId, role, organisation }
      : undefined;
  const route = event.where === 'protected-route' ? event.route : undefined;
  const recorded = auditEvent(
    'auth',
    event.where === 'token-endpoint' ? 'token-refused' : 'access-denied',
    at,
    { reason: event.reason, ...(actor === undefined ? {} : { actor }) },
    [clientId ?? '', event.at, route ?? ''],
  );
  return route === undefined ? recorded : { ...recorded, route };
}

/**
 * A source's requests refused for a rate limit in one window, as one `rate-limited` event with the count (`@hub/http`
 * reports each source once per window): the client as the actor, or else the network the requests came from (IPv4
 * /24, IPv6 /48). The full address is personal data that the trail, kept for years, does not need: the network
 * says where a flood came from, which is what an IG officer or the network team acts on.
 */
export function auditRateLimits(kafka: KafkaClient) {
  return async (report: RateLimitReport): Promise<void> => {
    const { source } = report;
    const actor = source.kind === 'client' ? source.caller : undefined;
    const recorded = auditEvent(
      'auth',
      'rate-limited',
      report.to,
      { reason: `rate-limit:${report.limit}`, ...(actor === undefined ? {} : { actor }) },
      [source.kind === 'client' ? source.caller.clientId : source.network, report.from.toISOString(), randomUUID()],
    );
    const value: AuditEvent = {
      ...recorded,
      refusedCount: report.refused,
      ...(source.kind === 'network' ? { sourceNetwork: source.network } : {}),
    };
    await kafka.publish(auditEventsTopic, [{ key: actor?.clientId ?? 'auth', value }]);
  };
}
