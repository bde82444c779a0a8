import type { ConsoleUser } from '@hub/contracts';
import type { ConsoleAccount } from './accounts.ts';

/**
 * The person an account signs in as: their actor id on the audit trail says how they signed in (`local:<id>` with a
 * password, `oidc:<id>` through the identity provider) and which account, never their name.
 */
export function userOf(account: ConsoleAccount, signIn: ConsoleUser['signIn']): ConsoleUser {
  return {
    id: `${signIn === 'password' ? 'local' : 'oidc'}:${account.id}`,
    displayName: account.displayName,
    role: account.role,
    organisation: account.organisation,
    signIn,
  };
}

export function actorOfUser(user: ConsoleUser) {
  return { clientId: user.id, role: user.role, organisation: user.organisation };
}
