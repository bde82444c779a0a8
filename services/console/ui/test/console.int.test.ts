/*
 * The IG console end to end in real Chromium (Debian's, driven by playwright-core) against a real hub: real Kafka,
 * Redis and PostgreSQL, the console's real sign-in, sessions and API, and the built page as the hub serves it.
 * Each screen is written to .cache/console-screenshots/ for a person to look at.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '@hub/console';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import type { Postgres } from '@hub/postgres';
import { freePort } from '@hub/infra-local';
// The OpenID Provider of the console's HTTP tests (panva's oidc-provider with its development sign-in screens).
import { startTestProvider } from '../../../../test/e2e/oidc-provider.ts';
// The tampers of issue 11 made to the running hub's audit store (shared with test/e2e/audit-log.int.test.ts).
import { insertEvent, rewriteLog, wipeLog } from '../../../../test/e2e/audit-tamper.ts';
import { accessibilityViolations, ensureConsoleBuilt, launchChromium, screenshot } from './browser.ts';
import {
  auditStore,
  OFFICERS,
  rebuildAuditView,
  runIncident,
  startLogWitness,
  VICTIM_NHS_NUMBER,
  writeAccountsFile,
} from './hub-data.ts';

const officer = OFFICERS.somerset;
/** A laptop's window; the zoom check shows the same window at 200%. */
const WINDOW = { width: 1280, height: 900 } as const;

let hub!: TestHub;
let browser!: Browser;
/** What beforeAll started, stopped in reverse order (also when it failed half-way). */
const started: (() => Promise<unknown>)[] = [];
let incident: Awaited<ReturnType<typeof runIncident>>;
/** Every page opened, the latest last: a failing test leaves a screenshot of it. */
const pages: Page[] = [];
beforeEach(({ task, onTestFailed }) => {
  onTestFailed(async () => {
    const page = pages.at(-1);
    if (page !== undefined && !page.isClosed())
      await screenshot(page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });
});
/** What the page said that a person would not want: script errors and refused resources (CSP). */
const pageProblems: string[] = [];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'console-ui-'));
  started.push(() => rm(dir, { recursive: true, force: true }));
  const [accountsFile, port] = await Promise.all([
    writeAccountsFile(dir, hashPassword),
    freePort(),
    ensureConsoleBuilt(),
  ]);
  browser = await launchChromium();
  started.push(() => browser.close());
  const { witness, env: logEnv } = await startLogWitness(dir);
  started.push(() => witness.stop());
  const hubUrl = `http://127.0.0.1:${port}`;
  const provider = await startTestProvider({
    port: await freePort(),
    redirectUri: `${hubUrl}/v1/console/oidc/callback`,
  });
  started.push(() => provider.stop());
  await writeFile(path.join(dir, 'oidc-secret'), `${provider.clientSecret}\n`, { mode: 0o600 });
  hub = await startTestHub({
    env: {
      ...logEnv,
      HTTP_PORT: String(port),
      CONSOLE_PUBLIC_URL: hubUrl,
      CONSOLE_ACCOUNTS_FILE: accountsFile,
      CONSOLE_OIDC_ISSUER: provider.issuer,
      CONSOLE_OIDC_CLIENT_ID: provider.clientId,
      CONSOLE_OIDC_CLIENT_SECRET_FILE: path.join(dir, 'oidc-secret'),
    },
  });
  started.push(() => hub.stop());
  incident = await runIncident(hub, 'ASP-2026-CONSOLE-1');
}, 180_000);

afterAll(async () => {
  for (const stop of started.reverse()) await stop();
});

async function newPage(options: { zoom?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    // 200% zoom of the same window: half the CSS pixels, each drawn twice as large.
    viewport: options.zoom === true ? { width: WINDOW.width / 2, height: WINDOW.height / 2 } : WINDOW,
    deviceScaleFactor: options.zoom === true ? 2 : 1,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  pages.push(page);
  page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
  page.on('console', (message: ConsoleMessage) => {
    const fromHub = message.location().url.startsWith(hub.url) || page.url().startsWith(hub.url);
    if (fromHub && /Content.Security.Policy|Refused to/i.test(message.text())) pageProblems.push(message.text());
  });
  return { context, page };
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${hub.url}/console/`);
  await page.getByLabel('Username').fill(officer.username);
  await page.getByLabel('Password').fill(officer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Search the audit trail' }).waitFor();
}

const texts = (locator: Locator) => locator.allInnerTexts();

describe('the IG console in Chromium', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ context, page } = await newPage());
  });
  afterAll(async () => {
    await context.close();
  });

  it('signs an officer in with a local account, after refusing a wrong password', async () => {
    await page.goto(`${hub.url}/console/`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to the IG console' }).waitFor();
    await page.getByLabel('Username').fill(officer.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('The username or password is not right.');
    await screenshot(page, '01-sign-in-refused');

    await page.getByLabel('Password').fill(officer.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Search the audit trail' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Console' }).innerText()).toContain(officer.displayName);
    // The session is an HttpOnly cookie: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await context.cookies();
    expect(cookies.length).toBeGreaterThan(0);
    expect(cookies.every((cookie) => cookie.httpOnly && cookie.sameSite === 'Strict')).toBe(true);
  });

  it('finds the incident by NHS number, showing no content', async () => {
    await page.getByLabel('NHS number').fill(VICTIM_NHS_NUMBER);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const rows = page.getByRole('table', { name: /Audit events/ }).locator('tbody tr');
    await rows.first().waitFor();
    const actions = await texts(rows.locator('td:nth-child(2)'));
    expect(actions).toEqual(expect.arrayContaining(['subject matched', 'decision recorded']));
    expect(await texts(rows.locator('td:nth-child(4)'))).toEqual(actions.map(() => VICTIM_NHS_NUMBER));
    // The payload's personal data (the victim's name, the officer's circumstances) is nowhere on the page.
    const page_text = await page.locator('main').innerText();
    expect(page_text).not.toContain('Test Victim');
    expect(page_text).not.toContain('Test incident.');
    await screenshot(page, '02-search-by-nhs-number');
  });

  it("shows the incident's timeline: each decision with rule, policy version and lawful basis, the fetch and the acknowledgement", async () => {
    await page.getByRole('link', { name: incident.receiptId }).first().click();
    const steps = page.locator('ol.timeline > li');
    await steps.first().waitFor();
    const actions = await steps.evaluateAll((items) => items.map((item) => item.getAttribute('data-action')));
    expect(actions).toEqual(
      expect.arrayContaining([
        'incident-received',
        'subject-matched',
        'decision-recorded',
        'notification-signed',
        'notification-stored',
        'notification-fetched',
        'notification-acknowledged',
      ]),
    );
    expect(actions.indexOf('incident-received')).toBeLessThan(actions.indexOf('notification-acknowledged'));
    const decisionText = await page.locator('li[data-action="decision-recorded"]').first().innerText();
    expect(decisionText).toMatch(/Rule\s+DA-[A-Z-]+/);
    expect(decisionText).toMatch(/Policy version\s+da-\d{4}\.\d{2}\.\d+/);
    expect(decisionText).toContain('UK GDPR Article 6(1)(e)');
    const fetched = await page.locator('li[data-action="notification-fetched"]').first().innerText();
    expect(fetched).toContain('gpVictim-client');
    await screenshot(page, '03-timeline');
  });

  it('opens a notification’s content only with a reason, and the view is then in the trail', async () => {
    // The GP's notification (the MARAC's has its own button).
    await page.locator(`button[data-notification="${incident.notificationId}"]`).click();
    const dialog = page.getByRole('dialog', { name: 'Why do you need to see this content?' });
    await dialog.waitFor();
    // No reason, no content.
    await dialog.getByRole('button', { name: 'Record reason and view' }).click();
    await expect.poll(() => dialog.getByRole('alert').innerText()).toContain('Choose a reason.');
    await dialog.getByLabel('Safeguarding review').check();
    await dialog.getByLabel('Note (optional)').fill('Case review for the MARAC on Thursday');
    await screenshot(page, '04-reason-dialog');
    await dialog.getByRole('button', { name: 'Record reason and view' }).click();

    const content = page.locator('section.content-view');
    await content.waitFor();
    const shown = await content.innerText();
    expect(shown).toContain(VICTIM_NHS_NUMBER);
    const auditEventId = await content.locator('.event-id').innerText();
    expect(auditEventId).toMatch(/^aud_[a-f0-9]{32}$/);
    await screenshot(page, '05-content');

    // The view is on the record's timeline: who, why, which notification, and the event id the page was told.
    await page.reload();
    const viewed = page.locator(`li[data-action="notification-content-viewed"][data-event="${auditEventId}"]`);
    await viewed.waitFor();
    const step = await viewed.innerText();
    expect(step).toContain(`local:${officer.id}`);
    expect(step).toContain('Safeguarding review');
    expect(step).toContain(incident.notificationId);
    await viewed.scrollIntoViewIfNeeded();
    await screenshot(page, '06-content-view-on-timeline');

    // And the search finds it by its action, with the officer as the actor.
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Action').selectOption('notification-content-viewed');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page
      .getByRole('table', { name: /Audit events/ })
      .locator('tbody tr', { hasText: `local:${officer.id}` });
    await row.first().waitFor();
    expect(await row.first().innerText()).toContain('notification content viewed');
    await screenshot(page, '06-content-view-in-search');
  });

  it('draws the safeguarding dashboard with the data, each chart with its table', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.locator('#chart-delays canvas').waitFor();
    expect(Number(await page.locator('#stat-incidents dd').innerText())).toBeGreaterThanOrEqual(1);
    expect(Number(await page.locator('#stat-notifications dd').innerText())).toBeGreaterThanOrEqual(1);
    // Every chart has its numbers as a table too.
    const figures = page.locator('figure.chart');
    expect(await figures.count()).toBe(5);
    for (const figure of await figures.all()) {
      expect(await figure.locator('canvas[role="img"]').getAttribute('aria-label')).toBeTruthy();
      await figure.getByText('Show the data').click();
      expect(await figure.locator('table tbody tr').count()).toBeGreaterThan(0);
    }
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
    const todayRow = page.locator('#chart-notifications table tbody tr', { hasText: today });
    const gpToday = Number((await todayRow.locator('td').first().innerText()).replaceAll(',', ''));
    expect(gpToday).toBeGreaterThanOrEqual(1);
    await page.locator('#chart-notifications').scrollIntoViewIfNeeded();
    await screenshot(page, '08-dashboard');
  });

  it('signs the officer out after the idle timeout and says why', async () => {
    const { context: idleContext, page: idlePage } = await newPage();
    await idlePage.clock.install();
    await signIn(idlePage);
    const { idleTimeoutSeconds } = (await (await idlePage.request.get(`${hub.url}/v1/console/session`)).json()) as {
      idleTimeoutSeconds: number;
    };
    await idlePage.clock.fastForward((idleTimeoutSeconds + 5) * 1000);
    await expect
      .poll(() => idlePage.locator('main').innerText())
      .toContain(`You were signed out after ${Math.round(idleTimeoutSeconds / 60)} minutes without activity.`);
    await idlePage.getByRole('heading', { level: 1, name: 'Sign in to the IG console' }).waitFor();
    await screenshot(idlePage, '09-idle-signed-out');
    // Signed out on the server too: the session answers 401.
    expect((await idlePage.request.get(`${hub.url}/v1/console/session`)).status()).toBe(401);
    await idleContext.close();
  });

  it('says so when the session has ended elsewhere', async () => {
    const { context: other, page: otherPage } = await newPage();
    await signIn(otherPage);
    const session = (await (await otherPage.request.get(`${hub.url}/v1/console/session`)).json()) as {
      csrfToken: string;
    };
    const out = await otherPage.request.post(`${hub.url}/v1/console/sign-out`, {
      headers: { 'x-csrf-token': session.csrfToken },
      data: {},
    });
    expect(out.status()).toBe(200);
    await otherPage.getByRole('link', { name: 'Dashboard' }).click();
    await expect.poll(() => otherPage.locator('main').innerText()).toContain('Your session has ended.');
    await other.close();
  });
});

describe('signing in through OpenID Connect (NHS CIS2 in production)', () => {
  /** The provider's development screens: its sign-in form, then its consent form. */
  async function throughProvider(page: Page, subject: string): Promise<void> {
    await page.locator('input[name="login"]').fill(subject);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
  }

  it('signs in a person the provider vouches for and an account lists', async () => {
    const { context, page } = await newPage();
    await page.goto(`${hub.url}/console/`);
    const button = page.getByRole('link', { name: 'Sign in with NHS Care Identity Service 2' });
    await button.waitFor();
    await screenshot(page, '00-sign-in');
    await button.click();
    await throughProvider(page, OFFICERS.cis2.oidcSubject);
    await page.getByRole('heading', { level: 1, name: 'Search the audit trail' }).waitFor();
    expect(page.url().startsWith(`${hub.url}/console/`)).toBe(true);
    expect(await page.getByRole('navigation', { name: 'Console' }).innerText()).toContain(OFFICERS.cis2.displayName);
    await context.close();
  });

  it('refuses a person no account lists, and says so on the sign-in screen', async () => {
    const { context, page } = await newPage();
    await page.goto(`${hub.url}/console/`);
    await page.getByRole('link', { name: 'Sign in with NHS Care Identity Service 2' }).click();
    await throughProvider(page, 'someone-not-registered');
    await page.getByRole('heading', { level: 1, name: 'Sign in to the IG console' }).waitFor();
    await expect
      .poll(() => page.locator('main').innerText())
      .toContain('Your organisation account is not registered for the IG console.');
    // The failure code is dropped from the address once shown.
    expect(new URL(page.url()).hash).toBe('');
    await screenshot(page, '00-sign-in-oidc-refused');
    await context.close();
  });
});

describe('the console with the keyboard alone', () => {
  it('signs in, searches, opens a timeline and a content view, with focus always visible', async () => {
    const { context, page } = await newPage();
    await page.goto(`${hub.url}/console/`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to the IG console' }).waitFor();

    await tabTo(page, 'Username');
    await page.keyboard.type(officer.username);
    await tabTo(page, 'Password');
    await page.keyboard.type(officer.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Search the audit trail' }).waitFor();
    // Signed in, focus is on the first screen's heading.
    expect(await focusedName(page)).toBe('Search the audit trail');

    // The skip link, first in the page, moves focus to the main content.
    await tabTo(page, 'Skip to main content', { backwards: true });
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    await tabTo(page, 'NHS number');
    await page.keyboard.type(VICTIM_NHS_NUMBER);
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: /Audit events/ }).waitFor();
    await tabTo(page, incident.receiptId);
    await page.keyboard.press('Enter');
    await page.locator('ol.timeline > li').first().waitFor();
    // A screen's heading takes focus when it opens.
    expect(await focusedName(page)).toBe('Timeline');

    await tabTo(page, /^View content/);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Why do you need to see this content?' });
    await dialog.waitFor();
    expect(await focusedName(page)).toBe('Safeguarding review');
    await page.keyboard.press('ArrowDown');
    expect(await focusedName(page)).toBe('Investigating a complaint');
    await expectFocusVisible(page);
    // Escape closes the dialog and gives focus back to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focusedName(page)).toMatch(/^View content/);

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Space');
    await tabTo(page, 'Record reason and view');
    await page.keyboard.press('Enter');
    await page.locator('section.content-view').waitFor();
    expect(await page.evaluate(() => document.activeElement?.classList.contains('content-view'))).toBe(true);

    // The navigation works from the keyboard too.
    await tabTo(page, 'Dashboard', { backwards: true });
    await page.keyboard.press('Enter');
    await page.locator('#chart-intake canvas').waitFor();
    expect(await focusedName(page)).toBe('Safeguarding dashboard');
    await screenshot(page, '10-keyboard-dashboard');
    await context.close();
  });
});

describe('every screen against the automatic WCAG 2.2 AA checks (axe-core)', () => {
  it('breaks none of them: sign-in, search, timeline, the reason dialog, content, integrity, dashboard', async () => {
    const { context, page } = await newPage();
    const found: Record<string, string[]> = {};
    const check = async (screen: string) => {
      found[screen] = await accessibilityViolations(page);
    };
    await page.goto(`${hub.url}/console/`);
    await page.getByLabel('Username').waitFor();
    await check('sign-in');
    await signIn(page);
    await page.getByLabel('NHS number').fill(VICTIM_NHS_NUMBER);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('table', { name: /Audit events/ }).waitFor();
    await check('search');
    await page.goto(`${hub.url}/console/#/timeline?receiptId=${incident.receiptId}`);
    await page.locator('ol.timeline > li').first().waitFor();
    await check('timeline');
    await page.locator(`button[data-notification="${incident.notificationId}"]`).click();
    const dialog = page.getByRole('dialog', { name: 'Why do you need to see this content?' });
    await dialog.waitFor();
    await check('reason dialog');
    await dialog.getByLabel('Data quality check').check();
    await dialog.getByRole('button', { name: 'Record reason and view' }).click();
    await page.locator('section.content-view').waitFor();
    await check('content');
    await page.goto(`${hub.url}/console/#/integrity`);
    await page.locator('section.integrity-status').waitFor();
    await check('integrity');
    await page.goto(`${hub.url}/console/#/dashboard`);
    await page.locator('#chart-delays canvas').waitFor();
    for (const summary of await page.getByText('Show the data').all()) await summary.click();
    await check('dashboard');
    expect(found).toEqual({
      'sign-in': [],
      search: [],
      timeline: [],
      'reason dialog': [],
      content: [],
      integrity: [],
      dashboard: [],
    });
    await context.close();
  });
});

describe('the console at 200% zoom', () => {
  it('reflows every screen without sideways scrolling, and keeps every control reachable', async () => {
    const { context, page } = await newPage({ zoom: true });
    await page.goto(`${hub.url}/console/`);
    await expectReflows(page, '11-zoom-sign-in');
    await signIn(page);
    await page.getByLabel('NHS number').fill(VICTIM_NHS_NUMBER);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('table', { name: /Audit events/ }).waitFor();
    await expectReflows(page, '12-zoom-search');
    for (const [name, ready] of [
      ['timeline', 'ol.timeline'],
      ['integrity', 'section.integrity-status'],
      ['dashboard', '#chart-delays canvas'],
    ] as const) {
      await page.goto(`${hub.url}/console/#/${name}${name === 'timeline' ? `?receiptId=${incident.receiptId}` : ''}`);
      await page.locator(ready).first().waitFor();
      await expectReflows(page, `13-zoom-${name}`);
    }
    await context.close();
  });
});

/** The accessible name of the focused element (its label, its text, or its aria-label). */
async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (element === null) return '';
    const labelled = element.getAttribute('aria-labelledby');
    if (labelled !== null) return document.getElementById(labelled)?.innerText.trim() ?? '';
    const label = element.id === '' ? null : document.querySelector(`label[for="${element.id}"]`);
    return (label?.textContent ?? element.getAttribute('aria-label') ?? element.innerText).trim();
  });
}

/** Presses Tab (or Shift+Tab) until the focused element has that name, checking focus is visible on the way. */
async function tabTo(page: Page, name: string | RegExp, options: { backwards?: boolean } = {}): Promise<void> {
  for (let presses = 0; presses < 80; presses += 1) {
    await page.keyboard.press(options.backwards === true ? 'Shift+Tab' : 'Tab');
    const focused = await focusedName(page);
    if (typeof name === 'string' ? focused === name : name.test(focused)) {
      await expectFocusVisible(page);
      return;
    }
  }
  throw new Error(`no element named ${String(name)} reached with the keyboard`);
}

/** The focused element shows a focus indicator: an outline at least 3 px wide (WCAG 2.4.7, 2.4.13's size). */
async function expectFocusVisible(page: Page): Promise<void> {
  const outline = await page.evaluate(() => {
    const element = document.activeElement;
    if (element === null) return 0;
    const style = getComputedStyle(element);
    return style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
  });
  expect(outline).toBeGreaterThanOrEqual(3);
}

/** At 200% zoom: no sideways scrolling of the page, the navigation and headings inside the window. */
async function expectReflows(page: Page, name: string): Promise<void> {
  const layout = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const outside = [...document.querySelectorAll('nav a, nav button, h1, label, main button')]
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && (box.left < 0 || box.right > width + 1))
      .map(({ element }) => (element as HTMLElement).innerText);
    return { width, scrollWidth: document.documentElement.scrollWidth, outside };
  });
  await screenshot(page, name);
  expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width);
  expect(layout.outside).toEqual([]);
}

describe('the integrity panel', () => {
  // Last: from its third test on it tampers with the store.
  let context: BrowserContext;
  let page: Page;
  /** The audit view's tables, to tamper with as someone with database access would (opened after the rebuild). */
  let store: Postgres | undefined;
  const tables = async () => (store ??= await auditStore(hub));

  beforeAll(async () => {
    ({ context, page } = await newPage());
    await signIn(page);
  });
  afterAll(async () => {
    await store?.close();
    await context.close();
  });

  /** Asks the hub to verify the whole log now, from the panel, and waits for that run's result. */
  async function verifyNow(): Promise<string> {
    const finished = page.locator('#verified-at');
    const finishedAt = async () => ((await finished.count()) === 0 ? '' : finished.innerText());
    const before = await finishedAt();
    await page.getByRole('button', { name: 'Verify the whole log now' }).click();
    await expect.poll(finishedAt, { timeout: 60_000 }).not.toBe(before);
    await page.getByRole('status').filter({ hasText: 'Verification finished.' }).waitFor({ timeout: 60_000 });
    return (await page.locator('section.integrity-status').getAttribute('data-state')) ?? '';
  }

  it('is green on an untouched log: verified, with the witness cosignature', async () => {
    // The witness has cosigned a checkpoint that holds the incident's events.
    await expect
      .poll(async () => (await hub.call('igOfficer', '/v1/audit/log/cosigned-checkpoint')).status, { timeout: 30_000 })
      .toBe(200);
    await page.getByRole('link', { name: 'Integrity' }).click();
    await page.locator('section.integrity-status').waitFor();
    expect(await verifyNow()).toBe('verified');
    const status = await page.locator('section.integrity-status').innerText();
    expect(status).toContain('The audit log verifies');
    expect(await page.locator('main').innerText()).toContain('witness.test/console');
    await screenshot(page, '07-integrity-green');
  });

  /** The failure codes the red panel shows. */
  async function failureCodes(): Promise<string[]> {
    return page
      .locator('section.integrity-status li[data-code]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-code') ?? ''));
  }

  it('is green again after the audit view is rebuilt from Kafka', async () => {
    await rebuildAuditView(hub);
    expect(await verifyNow()).toBe('verified');
    await screenshot(page, '07-integrity-green-after-rebuild');
  }, 150_000);

  it('turns red when a stored event is edited, naming its entry, and green once it is put back', async () => {
    const store = await tables();
    const { rows } = await store.query<{ entry: Buffer }>('SELECT entry FROM audit_events WHERE leaf_index = 3');
    const original = rows[0]?.entry;
    if (original === undefined) throw new Error('no leaf 3');
    const edited = Buffer.from(original.toString('utf8').replace('"action":"', '"action":"x'));
    await store.query('UPDATE audit_events SET entry = $1 WHERE leaf_index = 3', [edited]);
    expect(await verifyNow()).toBe('failed');
    const status = await page.locator('section.integrity-status').innerText();
    expect(status).toContain('The audit log does not verify');
    expect(status).toContain('log entry #3');
    expect(await failureCodes()).toContain('entry-mismatch');
    await screenshot(page, '14-integrity-red-after-an-edit');
    await store.query('UPDATE audit_events SET entry = $1 WHERE leaf_index = 3', [original]);
    expect(await verifyNow()).toBe('verified');
  });

  it('turns red when two stored events swap places', async () => {
    const store = await tables();
    const swap = async () => {
      // Through an index far beyond the log (leaf indexes are unique and not negative).
      await store.query('UPDATE audit_events SET leaf_index = 1000000000000 WHERE leaf_index = 5');
      await store.query('UPDATE audit_events SET leaf_index = 5 WHERE leaf_index = 6');
      await store.query('UPDATE audit_events SET leaf_index = 6 WHERE leaf_index = 1000000000000');
    };
    await swap();
    expect(await verifyNow()).toBe('failed');
    expect(await page.locator('section.integrity-status').innerText()).toContain('log entry #6');
    await swap();
    expect(await verifyNow()).toBe('verified');
  });

  it('turns red when a stored event is deleted', async () => {
    const store = await tables();
    const { rows } = await store.query('SELECT * FROM audit_events WHERE leaf_index = 8');
    const row = rows[0];
    if (row === undefined) throw new Error('no leaf 8');
    await store.query('DELETE FROM audit_events WHERE leaf_index = 8');
    expect(await verifyNow()).toBe('failed');
    expect(await failureCodes()).toContain('missing-entries');
    const columns = Object.keys(row);
    await store.query(
      `INSERT INTO audit_events (${columns.join(', ')}) SELECT * FROM json_populate_record(NULL::audit_events, $1)`,
      [JSON.stringify(Object.fromEntries(columns.map((column) => [column, bytesAsHex(row[column])])))],
    );
    expect(await verifyNow()).toBe('verified');
  });

  it('turns red when an event is inserted into the store, and green once it is taken out', async () => {
    const restore = await insertEvent(await tables(), 10);
    expect(await verifyNow()).toBe('failed');
    expect(await failureCodes()).toContain('entry-mismatch');
    expect(await page.locator('section.integrity-status').innerText()).toContain('log entry #10');
    await screenshot(page, '16-integrity-red-after-an-insert');
    await restore();
    expect(await verifyNow()).toBe('verified');
  });

  it('turns red on a fork: the store regrown from another history after leaf 2, hashes recomputed', async () => {
    const restore = await rewriteLog(await tables(), 2);
    expect(await verifyNow()).toBe('failed');
    expect(await failureCodes()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(inconsistent|root-mismatch)$/)]),
    );
    expect(await failureCodes()).not.toContain('entry-mismatch');
    await screenshot(page, '17-integrity-red-after-a-fork');
    await restore();
    expect(await verifyNow()).toBe('verified');
  });

  it('turns red when the whole log is rewritten with recomputed hashes, and green once it is put back', async () => {
    const restore = await rewriteLog(await tables(), 0);
    expect(await verifyNow()).toBe('failed');
    expect(await failureCodes()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(inconsistent|root-mismatch)$/)]),
    );
    expect(await failureCodes()).not.toContain('entry-mismatch');
    await screenshot(page, '18-integrity-red-after-a-rewrite');
    await restore();
    expect(await verifyNow()).toBe('verified');
  });

  it('turns red when the log is cut behind its cosigned checkpoint', async () => {
    const store = await tables();
    const { rows } = await store.query<{ size: string }>('SELECT max(leaf_index) + 1 AS size FROM audit_events');
    const size = Number(rows[0]?.size ?? 0);
    await store.query('DELETE FROM audit_events WHERE leaf_index >= $1', [size - 5]);
    await store.query('DELETE FROM audit_log_checkpoints WHERE size >= $1', [size - 5]);
    expect(await verifyNow()).toBe('failed');
    expect((await failureCodes()).length).toBeGreaterThan(0);
    await screenshot(page, '15-integrity-red-after-truncation');
  }, 150_000);

  it('turns red when the log is wiped (last: nothing is put back)', async () => {
    await wipeLog(await tables());
    expect(await verifyNow()).toBe('failed');
    // Once the hub has sequenced new events into the emptied tree, that tree is smaller than (truncated) or another
    // history from (inconsistent) the witness's checkpoint.
    expect(await failureCodes()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(wiped|truncated|inconsistent)$/)]),
    );
    await screenshot(page, '19-integrity-red-after-a-wipe');
  }, 150_000);
});

describe('every page above', () => {
  it('met no script error and no resource refused by the Content-Security-Policy', () => {
    expect(pageProblems).toEqual([]);
  });
});

/** A bytea read back as a Buffer goes into json_populate_record in PostgreSQL's hex form. */
function bytesAsHex(value: unknown): unknown {
  return Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : value;
}
