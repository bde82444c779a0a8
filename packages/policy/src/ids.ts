import { contentId, type DaPayloadKind, type RuleId } from '@hub/contracts';

/**
 * Content-derived ids (`contentId` from `@hub/contracts`: 128 bits of sha-256 over NUL-separated parts). The same
 * receipt, rule, subject, recipient and policy version always give the same id, so a redelivery or a restart
 * never doubles a decision or a notification; a new policy version gives new ids. A null subject or recipient is
 * the empty string, which no real subject ref or recipient can be.
 */

export function decisionIdFor(parts: {
  readonly receiptId: string;
  readonly rule: RuleId;
  readonly subjectRef: string | null;
  readonly recipient: string | null;
  readonly policyVersion: string;
}): string {
  return contentId(
    'dec',
    parts.receiptId,
    parts.rule,
    parts.subjectRef ?? '',
    parts.recipient ?? '',
    parts.policyVersion,
  );
}

export function notificationIdFor(parts: {
  readonly receiptId: string;
  readonly recipient: string;
  readonly subjectRef: string | null;
  readonly kind: DaPayloadKind;
  readonly policyVersion: string;
}): string {
  return contentId('ntf', parts.receiptId, parts.recipient, parts.subjectRef ?? '', parts.kind, parts.policyVersion);
}

/**
 * A `da-withdrawal`'s id: from the amending receipt, the recipient, the notification withdrawn and the policy
 * version, so a retried dispatch withdraws once, and withdrawing another notification gets another id.
 */
export function withdrawalIdFor(parts: {
  readonly receiptId: string;
  readonly recipient: string;
  readonly withdraws: string;
  readonly policyVersion: string;
}): string {
  return contentId('ntf', parts.receiptId, parts.recipient, parts.withdraws, 'da-withdrawal', parts.policyVersion);
}
