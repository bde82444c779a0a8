import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';

/** The IG console: people's sign-in and sessions, the console API, and the built page at /console/. */
export function createConsoleService(_deps: ServiceDeps): HubService {
  return defineService({ name: 'console' });
}
