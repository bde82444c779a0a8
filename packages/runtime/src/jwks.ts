import { HTTP_ROUTES } from '@hub/contracts';
import { bindRoute } from '@hub/http';
import type { HubKeyStore } from '@hub/signing';

/**
 * `getJwks`: public keys are public. Clients need them to verify notifications (and tokens) before they hold any
 * token, so this is the one deliberate exception to "every endpoint is authenticated". `publicJwks` copies public
 * members only, and the contract's response schema refuses a private member as a second line of defence.
 */
export function jwksRoute(keyStore: Pick<HubKeyStore, 'publicJwks'>) {
  return bindRoute(HTTP_ROUTES.getJwks, () =>
    Promise.resolve({ keys: keyStore.publicJwks().keys.map((key) => ({ ...key })) }),
  );
}
