import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@hub/config';
import { describe, expect, it } from 'vitest';
import { directoryEnv, directoryFiles, SEED_FILES } from './env.ts';

describe('directoryEnv', () => {
  it('defaults to the synthetic seed in infra/seed', () => {
    const config = loadConfig(directoryEnv, {});
    expect(directoryFiles(config)).toEqual(SEED_FILES);
    expect(SEED_FILES.patients.endsWith('/infra/seed/patients.json')).toBe(true);
    expect(SEED_FILES.practices.endsWith('/infra/seed/practices.json')).toBe(true);
    expect(SEED_FILES.localAuthorities.endsWith('/infra/seed/local-authorities.json')).toBe(true);
    for (const path of Object.values(SEED_FILES)) expect(existsSync(path)).toBe(true);
  });

  it('takes the paths from the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-directory-env-'));
    try {
      const paths = ['p.json', 'g.json', 'l.json'].map((name) => join(dir, name));
      for (const path of paths) await writeFile(path, '[]');
      const [patients = '', practices = '', localAuthorities = ''] = paths;
      const config = loadConfig(directoryEnv, {
        DIRECTORY_PATIENTS_FILE: patients,
        DIRECTORY_PRACTICES_FILE: practices,
        DIRECTORY_LOCAL_AUTHORITIES_FILE: localAuthorities,
      });
      expect(directoryFiles(config)).toEqual({ patients, practices, localAuthorities });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names every missing file at once, without the path', () => {
    const missing = '/nonexistent/sarah-whitlock/patients.json';
    let error: unknown;
    try {
      loadConfig(directoryEnv, {
        DIRECTORY_PATIENTS_FILE: missing,
        DIRECTORY_PRACTICES_FILE: missing,
        DIRECTORY_LOCAL_AUTHORITIES_FILE: missing,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([
      'DIRECTORY_PATIENTS_FILE',
      'DIRECTORY_PRACTICES_FILE',
      'DIRECTORY_LOCAL_AUTHORITIES_FILE',
    ]);
    expect((error as ConfigError).message).not.toContain('sarah-whitlock');
  });
});
