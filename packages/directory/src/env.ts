import { fileURLToPath } from 'node:url';
import { existingPath, type ConfigOf } from '@hub/config';
import { z } from 'zod';
import type { DirectoryFiles } from './file-directory.ts';

/** The synthetic seed committed in infra/seed (fictional people, NHS numbers in the 999 test range only). */
export const SEED_FILES: DirectoryFiles = {
  patients: fileURLToPath(new URL('../../../infra/seed/patients.json', import.meta.url)),
  practices: fileURLToPath(new URL('../../../infra/seed/practices.json', import.meta.url)),
  localAuthorities: fileURLToPath(new URL('../../../infra/seed/local-authorities.json', import.meta.url)),
};

/**
 * Environment piece for a service that uses the file-backed directory: `myEnv = kafkaEnv.extend(directoryEnv.shape)`.
 * Each key must name an existing file when the configuration loads. The defaults are the synthetic seed, for
 * local development and tests; a deployed environment sets every key.
 */
export const directoryEnv = z.object({
  DIRECTORY_PATIENTS_FILE: existingPath('file').default(SEED_FILES.patients),
  DIRECTORY_PRACTICES_FILE: existingPath('file').default(SEED_FILES.practices),
  DIRECTORY_LOCAL_AUTHORITIES_FILE: existingPath('file').default(SEED_FILES.localAuthorities),
});
export type DirectoryConfig = ConfigOf<typeof directoryEnv>;

export function directoryFiles(config: DirectoryConfig): DirectoryFiles {
  return {
    patients: config.DIRECTORY_PATIENTS_FILE,
    practices: config.DIRECTORY_PRACTICES_FILE,
    localAuthorities: config.DIRECTORY_LOCAL_AUTHORITIES_FILE,
  };
}
