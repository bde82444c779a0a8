import { auditEvent } from '@hub/audit';
import type { AuthEvent } from '@hub/auth';
import { auditEventsTopic } from '@hub/contracts';
import type { KafkaClient } from '@hub/kafka';

/**
 * Every access token issued and every refusal (at the token endpoint or a protected route) goes to the audit
 * trail. Refusals carry the reason code only; the token or assertion itself is never recorded.
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
        : auditEvent(
            'auth',
            event.where === 'token-endpoint' ? 'token-refused' : 'access-denied',
            at,
            { reason: event.reason },
            [event.clientId ?? '', event.at, event.where === 'protected-route' ? (event.route ?? '') : ''],
          );
    await kafka.publish(auditEventsTopic, [{ key: event.outcome === 'issued' ? event.clientId : 'auth', value }]);
  };
}
