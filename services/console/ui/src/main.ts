import type { ConsoleSession } from '@hub/contracts';
import { currentSession, signOut, useSession, watchSession } from './api.ts';
import { isSignInFailure, SIGN_IN_FAILURE_MESSAGES } from './contract.ts';
import { h, replace } from './dom.ts';
import { errorMessage } from './errors.ts';
import { watchIdle, type IdleWatch } from './idle.ts';
import { renderDashboard } from './screens/dashboard.ts';
import { renderIntegrity } from './screens/integrity.ts';
import { renderSearch } from './screens/search.ts';
import { renderSignIn } from './screens/sign-in.ts';
import { renderTimeline } from './screens/timeline.ts';
import type { Screen } from './screens/screen.ts';

/**
 * The console's shell: who is signed in, the navigation, and a hash router (`#/search`, `#/timeline?receiptId=…`,
 * `#/integrity`, `#/dashboard`; `#/sign-in?failed=<code>` is where a failed OpenID Connect sign-in comes back), so
 * the hub serves one page and a reload keeps the screen. Search filters stay in memory, never in the address: an
 * NHS number does not belong in the browser's history.
 */
const SCREENS: Readonly<Record<string, { readonly label: string; readonly render: Screen }>> = {
  search: { label: 'Search', render: renderSearch },
  timeline: { label: 'Timeline', render: renderTimeline },
  integrity: { label: 'Integrity', render: renderIntegrity },
  dashboard: { label: 'Dashboard', render: renderDashboard },
};
const DEFAULT_SCREEN = 'search';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const notices = document.getElementById('notices') as HTMLElement;

let session: ConsoleSession | null = null;
let idle: IdleWatch | null = null;
/** Bumped on every navigation, so a slow screen does not draw over the one the officer moved to. */
let generation = 0;

function parseHash(): { name: string; params: URLSearchParams } {
  const match = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  const name = match?.[1];
  if (name === undefined || !(name in SCREENS)) return { name: DEFAULT_SCREEN, params: new URLSearchParams() };
  return { name, params: new URLSearchParams(match?.[2] ?? '') };
}

async function route(moveFocus: boolean): Promise<void> {
  if (session === null) return;
  if (location.hash.startsWith('#/sign-in')) {
    history.replaceState(null, '', `#/${DEFAULT_SCREEN}`);
  }
  const { name, params } = parseHash();
  const screen = SCREENS[name] ?? SCREENS[DEFAULT_SCREEN];
  if (screen === undefined) return;
  generation += 1;
  const mine = generation;
  for (const link of nav.querySelectorAll('a[data-screen]')) {
    if (link.getAttribute('data-screen') === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${screen.label}: IG console`;
  main.replaceChildren();
  try {
    await screen.render(main, { params, session, isCurrent: () => mine === generation });
  } catch (error) {
    if (mine === generation) replace(main, h('h1', { tabindex: -1 }, screen.label), errorMessage(error));
  }
  if (moveFocus && mine === generation) main.querySelector<HTMLElement>('h1')?.focus();
}

function renderNav(current: ConsoleSession): void {
  replace(
    nav,
    h(
      'ul',
      {},
      Object.entries(SCREENS).map(([name, screen]) =>
        h('li', {}, h('a', { href: `#/${name}`, 'data-screen': name }, screen.label)),
      ),
    ),
    h(
      'p',
      { class: 'who' },
      h('span', {}, `${current.user.displayName} (${current.user.role}, ${current.user.organisation})`),
      h('button', { type: 'button', class: 'link-button', onclick: () => void end('signed-out') }, 'Sign out'),
    ),
  );
}

/** `signedIn`: the officer has just signed in here, so focus moves to the first screen's heading. */
function start(current: ConsoleSession, signedIn = false): void {
  session = current;
  useSession(current);
  renderNav(current);
  idle?.stop();
  idle = watchIdle(current.idleTimeoutSeconds, {
    warn(at) {
      replace(
        notices,
        at === null
          ? null
          : h(
              'div',
              { class: 'notice' },
              h('p', {}, `You will be signed out at ${at.toLocaleTimeString('en-GB')} unless you use the console.`),
              h('button', { type: 'button', onclick: () => void currentSession() }, 'Stay signed in'),
            ),
      );
    },
    expire: () => void end('idle'),
    keepAlive: () => void currentSession(),
  });
  void route(signedIn);
}

const END_MESSAGES = {
  idle: (minutes: number) => `You were signed out after ${minutes} minutes without activity. Sign in again to go on.`,
  expired: () => 'Your session has ended. Sign in again to go on.',
  'signed-out': () => 'You have signed out.',
} as const;

/** Ends the session (sign-out, idle timeout, or the server saying it is gone) and shows why on the sign-in screen. */
async function end(why: keyof typeof END_MESSAGES): Promise<void> {
  const minutes = Math.round((session?.idleTimeoutSeconds ?? 0) / 60);
  // A screen still waiting for an answer must not draw over the sign-in screen.
  generation += 1;
  idle?.stop();
  idle = null;
  if (why !== 'expired' && session !== null) {
    try {
      await signOut();
    } catch {
      // Already gone on the server: nothing more to end.
    }
  }
  session = null;
  useSession(null);
  nav.replaceChildren();
  notices.replaceChildren();
  await showSignIn(END_MESSAGES[why](minutes));
}

async function showSignIn(message: string | null): Promise<void> {
  document.title = 'Sign in: IG console';
  main.replaceChildren();
  await renderSignIn(main, {
    message,
    signedIn: (current) => {
      start(current, true);
    },
  });
}

watchSession({
  signedOut: () => {
    if (session !== null) void end('expired');
  },
  contact: () => idle?.serverContact(),
});

window.addEventListener('hashchange', () => void route(true));
document.getElementById('skip-link')?.addEventListener('click', (event) => {
  // The page's own anchors are routes; the skip link moves focus instead of changing the address.
  event.preventDefault();
  main.focus();
});

async function boot(): Promise<void> {
  try {
    const current = await currentSession();
    if (current !== null) {
      start(current);
      return;
    }
    // Back from the identity provider with a failure: say why, then drop it from the address.
    const failed = /^#\/sign-in\?failed=([a-z-]+)$/.exec(location.hash)?.[1];
    if (failed !== undefined) history.replaceState(null, '', location.pathname);
    await showSignIn(isSignInFailure(failed) ? SIGN_IN_FAILURE_MESSAGES[failed] : null);
  } catch (error) {
    replace(main, h('h1', { tabindex: -1 }, 'IG console'), errorMessage(error));
  }
}

void boot();
