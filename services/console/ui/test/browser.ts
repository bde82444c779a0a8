/*
 * The console's Chromium harness: Debian's chromium (installed by infra/local when missing; Playwright's own browser
 * downloads fail on machines that reach only package registries) driven by playwright-core, headless, with a fresh
 * profile per launch (Playwright makes a new temporary --user-data-dir for each launch and deletes it on close).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AxeResults, RunOptions } from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureChromiumInstalled } from '@hub/infra-local';

/** Quiet, reproducible, and nothing reached but the hub under test. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromiumInstalled();
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS], timeout: 60_000 });
}

const here = import.meta.dirname;
const REPO_ROOT = path.resolve(here, '../../../..');

/** Screenshots of each screen, for a person to look at (never compared by the tests). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, '.cache', 'console-screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Builds the console into dist/ when a source is newer than the build (or there is none), so a test run always
 * serves the sources it was given; `./hub test` has built it already, so this is then a no-op.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const built = path.join(here, '..', 'dist', 'index.html');
  const builtAt = mtime(built);
  const sources = [
    path.join(here, '..', 'src'),
    path.join(here, '..', 'vite.config.ts'),
    // The contracts' paths and vocabularies are built in.
    path.join(REPO_ROOT, 'contracts', 'src'),
  ];
  if (builtAt !== null && sources.every((source) => newest(source) <= builtAt)) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(here, '..', 'vite.config.ts'), logLevel: 'warn' });
}

function mtime(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function newest(entry: string): number {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(entry).map((name) => newest(path.join(entry, name))));
}

/** Deque's axe-core, run in the page: the WCAG 2.2 A and AA rules it can check automatically. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS: RunOptions = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
};

/** Each rule the page breaks, with the elements that break it (empty when none). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (options) => {
    const { axe } = window as unknown as {
      axe: { run: (context: Document, options: RunOptions) => Promise<AxeResults> };
    };
    const results = await axe.run(document, options);
    return results.violations.map(
      (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
  }, AXE_OPTIONS);
  return violations;
}
