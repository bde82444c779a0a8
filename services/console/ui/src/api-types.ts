/**
 * The console API's answers as the screens read them. Provisional until the console server publishes its routes in
 * @hub/contracts; then these become type imports from there.
 */
export interface ConsoleUser {
  readonly name: string;
  readonly role: string;
  readonly organisation: string;
}

export interface ConsoleSession {
  readonly user: ConsoleUser;
  readonly csrfToken: string;
  readonly idleTimeoutSeconds: number;
}

export interface SignInOptions {
  readonly local: boolean;
  readonly oidc: { readonly label: string } | null;
}

export interface AuditDecision {
  readonly rule: string;
  readonly policyVersion: string;
  readonly outcome: string;
  readonly lawfulBasis: readonly string[];
  readonly reason: string;
}

export interface ConsoleAuditEvent {
  readonly eventId: string;
  readonly at: string;
  readonly service: string;
  readonly action: string;
  readonly actor: { readonly clientId: string; readonly role: string; readonly organisation: string } | null;
  readonly receiptId: string | null;
  readonly incidentRef: string | null;
  readonly subjectRef: string | null;
  readonly nhsNumber: string | null;
  readonly recipient: string | null;
  readonly notificationId: string | null;
  readonly decision: AuditDecision | null;
  readonly reason: string | null;
}

export interface SearchPage {
  readonly items: readonly ConsoleAuditEvent[];
  readonly nextCursor: string | null;
}

export interface Timeline {
  readonly items: readonly ConsoleAuditEvent[];
}

export interface ContentView {
  readonly notificationId: string;
  readonly recipient: string;
  readonly kind: string;
  readonly payload: unknown;
}

export interface Integrity {
  readonly ok: boolean;
  readonly checkpoint: {
    readonly origin: string;
    readonly treeSize: number;
    readonly rootHash: string;
    readonly note: string;
  } | null;
  readonly cosignatures: readonly { readonly witness: string; readonly timestamp: string; readonly ok: boolean }[];
  readonly verification: { readonly at: string; readonly ok: boolean; readonly detail: string } | null;
}

export interface DashboardDay {
  readonly date: string;
  readonly incidents: number;
  readonly plans: number;
  readonly notifications: Readonly<Record<string, number>>;
}

export interface Dashboard {
  readonly from: string;
  readonly to: string;
  readonly days: readonly DashboardDay[];
  readonly rules: readonly { readonly rule: string; readonly shares: number; readonly withholds: number }[];
  readonly exceptionsOpen: number;
  readonly unread: number;
  readonly timeToFetch: { readonly p50: number | null; readonly p95: number | null };
  readonly timeToAcknowledge: { readonly p50: number | null; readonly p95: number | null };
}
