import { ALL_STEPS, HTTP_ROUTES, type HubServiceName } from '@hub/contracts';
import { routeKey, servedRoutes } from '@hub/http';
import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPANIONS, HUB_SERVICE_FACTORIES } from './hub.ts';

/** What every process serves whatever its services: the token endpoint, the JWKS and the health routes. */
const EVERY_PROCESS = [
  HTTP_ROUTES.requestAccessToken,
  HTTP_ROUTES.getJwks,
  HTTP_ROUTES.getLiveness,
  HTTP_ROUTES.getReadiness,
].map((route) => routeKey(route.method, route.path));

/** The routes a service's request steps declare (contracts/src/steps.ts). */
function declaredRoutes(service: HubServiceName): string[] {
  return ALL_STEPS.flatMap((step) => (step.service === service && step.kind === 'request' ? step.operations : []))
    .filter((id) => id !== 'requestAccessToken' && id !== 'getJwks')
    .map((id) => routeKey(HTTP_ROUTES[id].method, HTTP_ROUTES[id].path));
}

let harness: RouteHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('each service runs alone, as its own main.ts runs it', () => {
  it.each(HUB_SERVICE_FACTORIES.map((factory) => [factory.name, factory] as const))(
    "%s: ready, serving exactly its own routes and every process's",
    async (_name, factory) => {
      // A service whose routes read views others keep runs with them (its main.ts does the same).
      const companions = COMPANIONS.get(factory) ?? [];
      harness = await startRouteHarness({ service: 'hub', clients: [], services: [factory, ...companions] });
      const [face, ...others] = harness.runtime.services;
      expect(face).toBeDefined();
      const name = face!.name;
      const served = [name, ...others.map((other) => other.name)].flatMap(declaredRoutes);
      expect(servedRoutes(harness.runtime.http)).toEqual([...EVERY_PROCESS, ...served].sort());
      const ready = await harness.inject(null, { method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      // Every step the contracts give this service is started by its face, and no other.
      const own = ALL_STEPS.filter(
        (step) => step.service === name && (step.kind === 'stage' || step.kind === 'projector'),
      );
      expect(face!.steps.map((binding) => binding.step).sort()).toEqual(own.sort());
    },
  );
});
