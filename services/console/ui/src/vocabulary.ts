import type { AuditAction, DecisionOutcome, LawfulBasis, RecipientKind } from '@hub/contracts';

/** The contracts' vocabularies, put in at build time (vite.config.ts), so the bundle carries no schema library. */
declare const __HUB_VOCABULARY__: {
  readonly actions: readonly AuditAction[];
  readonly outcomes: readonly DecisionOutcome[];
  readonly rules: readonly string[];
  readonly lawfulBases: Readonly<Record<LawfulBasis, string>>;
  readonly recipientKinds: readonly RecipientKind[];
};

export const VOCABULARY = __HUB_VOCABULARY__;

/** A lawful basis code with its label, or the code alone when the label is unknown. */
export function lawfulBasisLabel(code: string): string {
  return (VOCABULARY.lawfulBases as Readonly<Record<string, string>>)[code] ?? code;
}

/** `notification-fetched` as "notification fetched". */
export function actionLabel(action: string): string {
  return action.replaceAll('-', ' ');
}
