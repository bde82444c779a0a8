import type { Migration } from '@hub/postgres';
import type { HubService } from './service.ts';

/**
 * Every service's migrations as one list for the process's schema, in version order. Versions are hub-wide (one
 * `schema_migrations` per schema): two services declaring the same version is a programming error, refused at start.
 */
export function migrationsOf(services: readonly HubService[]): Migration[] {
  const owner = new Map<number, string>();
  for (const service of services) {
    for (const migration of service.migrations) {
      const other = owner.get(migration.version);
      if (other !== undefined) {
        throw new Error(`migration version ${migration.version} is declared by both ${other} and ${service.name}`);
      }
      owner.set(migration.version, service.name);
    }
  }
  return services.flatMap((service) => service.migrations).sort((a, b) => a.version - b.version);
}
