import path from 'node:path';
import { defineConfig } from 'vite';
import {
  AUDIT_ACTIONS,
  CONSOLE_CSRF_HEADER,
  CONSOLE_LIMITS,
  CONSOLE_SIGN_IN_FAILURES,
  CONTENT_VIEW_REASONS,
  CP_RULE_IDS,
  DECISION_OUTCOMES,
  HTTP_ROUTES,
  LAWFUL_BASES,
  RECIPIENT_KINDS,
  RULE_IDS,
} from '@hub/contracts';

/**
 * The console's build: sources in src/, output in dist/ (CONSOLE_UI_DIST), served by the hub at /console/. Every
 * script and style is bundled from the npm registry's packages (no CDN); the output has no inline script or style,
 * so the page works under the console's Content-Security-Policy (CONSOLE_CONTENT_SECURITY_POLICY).
 */
const here = import.meta.dirname;

/**
 * What the page needs of the contracts, declared once there and put into the bundle at build time (`define`), so
 * the bundle carries no schema library: the API's paths, the CSRF header, and the vocabularies the screens offer.
 */
const contract = {
  routes: {
    signInOptions: HTTP_ROUTES.getConsoleSignInOptions.path,
    session: HTTP_ROUTES.getConsoleSession.path,
    signIn: HTTP_ROUTES.signInToConsole.path,
    signOut: HTTP_ROUTES.signOutOfConsole.path,
    timeline: HTTP_ROUTES.getConsoleTimeline.path,
    contentViews: HTTP_ROUTES.viewNotificationContent.path,
    dashboard: HTTP_ROUTES.getSafeguardingDashboard.path,
    search: HTTP_ROUTES.searchAuditEvents.path,
    cosignedCheckpoint: HTTP_ROUTES.getAuditLogCosignedCheckpoint.path,
    verification: HTTP_ROUTES.getAuditLogVerification.path,
    verifyNow: HTTP_ROUTES.verifyAuditLog.path,
  },
  csrfHeader: CONSOLE_CSRF_HEADER,
  usernameChars: CONSOLE_LIMITS.usernameChars,
  passwordChars: CONSOLE_LIMITS.passwordChars,
  reasonNoteChars: CONSOLE_LIMITS.reasonNoteChars,
  dashboardDays: CONSOLE_LIMITS.dashboardDays,
  signInFailures: CONSOLE_SIGN_IN_FAILURES,
  contentViewReasons: CONTENT_VIEW_REASONS,
  actions: AUDIT_ACTIONS,
  outcomes: DECISION_OUTCOMES,
  rules: [...RULE_IDS, ...CP_RULE_IDS],
  lawfulBases: LAWFUL_BASES,
  recipientKinds: RECIPIENT_KINDS,
};

export default defineConfig({
  root: path.join(here, 'src'),
  base: '/console/',
  logLevel: 'warn',
  define: { __HUB_CONTRACT__: JSON.stringify(contract) },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Chart.js is most of the bundle; one file is fine for a console.
    chunkSizeWarningLimit: 400,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
