import type {
  AuditAction,
  ConsoleSignInFailure,
  ContentViewReason,
  DecisionOutcome,
  LawfulBasis,
  RecipientKind,
} from '@hub/contracts';

/**
 * What the page takes from @hub/contracts, put in at build time (vite.config.ts `define`): the API's paths, the CSRF
 * header and the vocabularies. Types come from the contracts too (type imports, erased), so nothing is declared
 * twice and the bundle carries no schema library.
 */
declare const __HUB_CONTRACT__: {
  readonly routes: {
    readonly signInOptions: string;
    readonly session: string;
    readonly signIn: string;
    readonly signOut: string;
    readonly timeline: string;
    readonly contentViews: string;
    readonly dashboard: string;
    readonly search: string;
    readonly cosignedCheckpoint: string;
    readonly verification: string;
    readonly verifyNow: string;
  };
  readonly csrfHeader: string;
  readonly usernameChars: number;
  readonly passwordChars: number;
  readonly reasonNoteChars: number;
  readonly dashboardDays: number;
  readonly signInFailures: readonly ConsoleSignInFailure[];
  readonly contentViewReasons: readonly ContentViewReason[];
  readonly actions: readonly AuditAction[];
  readonly outcomes: readonly DecisionOutcome[];
  readonly rules: readonly string[];
  readonly lawfulBases: Readonly<Record<LawfulBasis, string>>;
  readonly recipientKinds: readonly RecipientKind[];
};

export const CONTRACT = __HUB_CONTRACT__;

/** A lawful basis code with its label, or the code alone when the label is unknown. */
export function lawfulBasisLabel(code: string): string {
  return (CONTRACT.lawfulBases as Readonly<Record<string, string>>)[code] ?? code;
}

/** `notification-fetched` as "notification fetched". */
export function actionLabel(action: string): string {
  return action.replaceAll('-', ' ');
}

/** Why an officer opens content, in words; typed by the contract's codes, so a new code must be given words here. */
export const CONTENT_VIEW_REASON_LABELS: Readonly<Record<ContentViewReason, string>> = {
  'safeguarding-review': 'Safeguarding review',
  'complaint-investigation': 'Investigating a complaint',
  'subject-access-request': 'Subject access request',
  'information-governance-incident': 'Information governance incident',
  'legal-or-court-request': 'Legal or court request',
  'data-quality-check': 'Data quality check',
};

/** Why a sign-in failed, in words. */
export const SIGN_IN_FAILURE_MESSAGES: Readonly<Record<ConsoleSignInFailure, string>> = {
  'bad-credentials': 'The username or password is not right.',
  'rate-limited': 'Too many sign-in attempts. Wait a minute, then try again.',
  'oidc-denied': 'Sign-in with your organisation was cancelled or refused.',
  'oidc-failed': 'Sign-in with your organisation could not be completed. Try again.',
  'oidc-unknown-person': 'Your organisation account is not registered for the IG console. Ask your IG lead to add it.',
};

export function isSignInFailure(code: string | null | undefined): code is ConsoleSignInFailure {
  return CONTRACT.signInFailures.some((failure) => failure === code);
}
