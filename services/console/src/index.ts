export { createConsoleService, type TrailSource } from './service.ts';
export {
  fileAccounts,
  hashPassword,
  hashPasswordSync,
  parseAccounts,
  verifyPassword,
  writeAccount,
  AccountsFileError,
  SCRYPT,
  type Accounts,
  type ConsoleAccount,
} from './accounts.ts';
export { cookieName, readCookie, createSessions, type Sessions } from './sessions.ts';
export { createSignInLimits, SIGN_IN_WINDOW_MS, type SignInLimits } from './sign-in-limits.ts';
export { readDashboard } from './dashboard.ts';
export { readTimeline, findNotification } from './trail.ts';
export { DEFAULT_UI_DIR } from './static.ts';
export { oidcConfigOf, OIDC_FLOW_TTL_MS } from './oidc.ts';
