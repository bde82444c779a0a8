import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, run } from './processes.ts';

/**
 * Prometheus's `promtool`, which checks and unit-tests the alert rules of infra/observability in `./hub test`. Debian
 * ships it in the `prometheus` package; rather than install a Prometheus server (a service, a user) to get one static
 * binary, the package is downloaded and only unpacked, into `.cache/prometheus` of the repository.
 */
const CACHE_DIR = fileURLToPath(new URL('../../../.cache/prometheus', import.meta.url));
export const CACHED_PROMTOOL = join(CACHE_DIR, 'usr/bin/promtool');

/** The promtool to run: the machine's own when on PATH, else Debian's unpacked into the cache (fetched once). */
export async function ensurePromtool(): Promise<string> {
  if (hasCommand('promtool')) return 'promtool';
  if (existsSync(CACHED_PROMTOOL)) return CACHED_PROMTOOL;
  if (!hasCommand('apt-get') || !hasCommand('dpkg-deb')) {
    throw new Error('promtool is missing; install it (Debian: apt-get install -y prometheus)');
  }
  process.stderr.write('infra/local: fetching promtool (Debian package prometheus) into .cache/prometheus\n');
  const work = await mkdtemp(join(join(CACHE_DIR, '..'), 'prometheus-'));
  try {
    const download = () => run('sh', ['-c', 'cd "$1" && apt-get download -qq prometheus', 'sh', work]);
    try {
      await download();
    } catch (error) {
      // A fresh machine has no package lists yet: read them (as root), then try once more.
      if (process.getuid?.() !== 0) throw error;
      await run('apt-get', ['update', '-qq'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      await download();
    }
    const deb = (await readdir(work)).find((name) => name.endsWith('.deb'));
    if (deb === undefined) throw new Error('apt-get download prometheus left no .deb');
    const unpacked = join(work, 'root');
    await run('dpkg-deb', ['-x', join(work, deb), unpacked], { what: 'dpkg-deb -x prometheus' });
    if (!existsSync(join(unpacked, 'usr/bin/promtool')))
      throw new Error('the prometheus package holds no usr/bin/promtool');
    await mkdir(join(CACHE_DIR, '..'), { recursive: true });
    await rm(CACHE_DIR, { recursive: true, force: true });
    await rename(unpacked, CACHE_DIR);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return CACHED_PROMTOOL;
}
