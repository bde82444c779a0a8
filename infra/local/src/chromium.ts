import { existsSync } from 'node:fs';
import { hasCommand, run } from './processes.ts';

/**
 * Debian's Chromium, the browser of the console's end-to-end tests (driven by playwright-core). Playwright's own
 * browser downloads fail on machines that reach only package registries, so the tests use the distribution's build.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Installs Debian's chromium when it is missing and we are root; otherwise says what to install. */
export async function ensureChromiumInstalled(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    throw new Error(`Chromium is missing at ${CHROMIUM_PATH}; install it (Debian: apt-get install -y chromium)`);
  }
  process.stderr.write('infra/local: installing chromium with apt-get\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  // Fonts with wide coverage, so screenshots show text rather than boxes on a bare machine.
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-liberation'], {
    what: 'apt-get install chromium',
    env,
  });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium, but ${CHROMIUM_PATH} is missing`);
  return CHROMIUM_PATH;
}
