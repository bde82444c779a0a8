import { viewStore, type HubViewName } from '@hub/contracts';
import type { Migration } from '@hub/postgres';
import type { HubService } from './service.ts';

/** Several services' migrations as one list, in version order; one version declared twice is a bug, refused at start. */
function merged(services: readonly HubService[], what: string): Migration[] {
  const owner = new Map<number, string>();
  for (const service of services) {
    for (const migration of service.migrations) {
      const other = owner.get(migration.version);
      if (other !== undefined) {
        throw new Error(
          `migration version ${migration.version} of ${what} is declared by both ${other} and ${service.name}`,
        );
      }
      owner.set(migration.version, service.name);
    }
  }
  return services.flatMap((service) => service.migrations).sort((a, b) => a.version - b.version);
}

const keepsPostgresView = (service: HubService) => service.views.some((view) => viewStore(view) === 'postgres');

/**
 * The migrations of the process's own schema (`POSTGRES_SCHEMA`): those of the services that keep no view in
 * PostgreSQL. Versions are shared by those services (one `schema_migrations` per schema).
 */
export function baseMigrationsOf(services: readonly HubService[]): Migration[] {
  return merged(
    services.filter((service) => !keepsPostgresView(service)),
    'the schema',
  );
}

/**
 * The migrations of a PostgreSQL view's generation schemas: those of the services keeping the view. A view with
 * none is refused: without tables (and their `schema_migrations` rows) it could not be told apart from a lost one.
 */
export function viewMigrationsOf(services: readonly HubService[], view: HubViewName): Migration[] {
  const migrations = merged(
    services.filter((service) => service.views.includes(view)),
    `view ${view}`,
  );
  if (migrations.length === 0) {
    throw new Error(`view ${view} is kept in PostgreSQL, but no service of this process that keeps it has migrations`);
  }
  return migrations;
}
