import { z } from 'zod';
import { cpAccessNotification, cpException, cpGpNotification, cpPlanRefusedNotice } from './child-protection.ts';
import { deliveryEscalation, escalationClosed, nonDeliveryReport } from './deadlines.ts';
import type { NotificationKind } from './inbox.ts';
import { daWithdrawal, gpDaNotification, identityExceptionItem, maracReferral } from './notifications.ts';
import { SIGNED_PAYLOAD_EXAMPLES, type PayloadExample } from './signed-payload-examples.ts';

/**
 * The payloads a recipient system parses after verifying a notification's compact JWS, one per inbox kind
 * (`NOTIFICATION_KINDS`). The JWS protected header is `{ alg, kid, typ }`: `alg` ES256 or RS512, `kid` a key of
 * `GET /.well-known/jwks.json`, `typ` `<kind>+jws` (`signedPayloadType`); the payload's own `kind` equals the
 * inbox item's. `generate.ts` documents each with its examples (`signed-payload-examples.ts`).
 */

export interface SignedPayloadSpec {
  readonly kind: NotificationKind;
  /** Who receives it and when: one sentence. */
  readonly summary: string;
  readonly schema: z.ZodType;
  /** At least one; each must parse with `schema` (the generator refuses one that does not). */
  readonly examples: readonly PayloadExample[];
}

/** The JWS `typ` header of a notification of `kind`. */
export function signedPayloadType(kind: NotificationKind): `${NotificationKind}+jws` {
  return `${kind}+jws`;
}

export const SIGNED_PAYLOADS = {
  'da-gp-notification': {
    kind: 'da-gp-notification',
    summary:
      'Domestic abuse: to the registered practice of one person in an incident (victim, perpetrator, child or ' +
      'other adult), about that patient only.',
    schema: gpDaNotification,
    examples: SIGNED_PAYLOAD_EXAMPLES['da-gp-notification'],
  },
  'da-marac-referral': {
    kind: 'da-marac-referral',
    summary: "Domestic abuse: to the MARAC of the incident's area, the whole incident and why it met the criteria.",
    schema: maracReferral,
    examples: SIGNED_PAYLOAD_EXAMPLES['da-marac-referral'],
  },
  'da-exception': {
    kind: 'da-exception',
    summary:
      "Domestic abuse: to the area's exceptions inbox, one person who would have been notified but could not be " +
      'matched to a registered practice.',
    schema: identityExceptionItem,
    examples: SIGNED_PAYLOAD_EXAMPLES['da-exception'],
  },
  'da-withdrawal': {
    kind: 'da-withdrawal',
    summary:
      'Domestic abuse: to a recipient of an earlier notification that an amended incident no longer sends them ' +
      'anything for. Ids and codes only.',
    schema: daWithdrawal,
    examples: SIGNED_PAYLOAD_EXAMPLES['da-withdrawal'],
  },
  'cp-gp-notification': {
    kind: 'cp-gp-notification',
    summary:
      'Child protection: to the registered practice of the child (of the mother, for an unborn child protection ' +
      'plan) when a plan starts, changes or ends.',
    schema: cpGpNotification,
    examples: SIGNED_PAYLOAD_EXAMPLES['cp-gp-notification'],
  },
  'cp-exception': {
    kind: 'cp-exception',
    summary:
      "Child protection: to the plan's authority's exceptions inbox, a plan whose child has no practice the hub " +
      'may route to.',
    schema: cpException,
    examples: SIGNED_PAYLOAD_EXAMPLES['cp-exception'],
  },
  'cp-access-notification': {
    kind: 'cp-access-notification',
    summary: 'Child protection: to each owning authority, an unscheduled-care setting looked the child up.',
    schema: cpAccessNotification,
    examples: SIGNED_PAYLOAD_EXAMPLES['cp-access-notification'],
  },
  'cp-plan-refused': {
    kind: 'cp-plan-refused',
    summary: 'Child protection: to the submitting authority, a plan refused on its NHS number (not flagged).',
    schema: cpPlanRefusedNotice,
    examples: SIGNED_PAYLOAD_EXAMPLES['cp-plan-refused'],
  },
  'delivery-escalation': {
    kind: 'delivery-escalation',
    summary:
      "Deadlines: to the area's safeguarding team (exceptions inbox, or the escalation recipient the policy names), " +
      'a notification not fetched (or not acknowledged) by its deadline. Ids, inboxes, rule and times only.',
    schema: deliveryEscalation,
    examples: SIGNED_PAYLOAD_EXAMPLES['delivery-escalation'],
  },
  'escalation-closed': {
    kind: 'escalation-closed',
    summary: 'Deadlines: to whoever an escalation went to, the late notification has now been fetched or acknowledged.',
    schema: escalationClosed,
    examples: SIGNED_PAYLOAD_EXAMPLES['escalation-closed'],
  },
  'non-delivery-report': {
    kind: 'non-delivery-report',
    summary:
      "Deadlines: to the sender's own inbox (force:<code>, la:<ONS code>), a notification not acknowledged by its " +
      'final deadline: not delivered.',
    schema: nonDeliveryReport,
    examples: SIGNED_PAYLOAD_EXAMPLES['non-delivery-report'],
  },
} as const satisfies { readonly [K in NotificationKind]: SignedPayloadSpec & { readonly kind: K } };

export const ALL_SIGNED_PAYLOADS: readonly SignedPayloadSpec[] = Object.values(SIGNED_PAYLOADS);

/** Any signed payload, by its `kind`: what a recipient parses after verifying the JWS. */
export const signedPayload = z.discriminatedUnion('kind', [
  gpDaNotification,
  maracReferral,
  identityExceptionItem,
  daWithdrawal,
  cpGpNotification,
  cpException,
  cpAccessNotification,
  cpPlanRefusedNotice,
  deliveryEscalation,
  escalationClosed,
  nonDeliveryReport,
]);
export type SignedPayload = z.infer<typeof signedPayload>;
