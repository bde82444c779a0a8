import type {
  ConsoleSession,
  ContentView,
  Dashboard,
  Integrity,
  SearchPage,
  SignInOptions,
  Timeline,
} from './api-types.ts';

/**
 * The console API, as the browser calls it: same-origin, the session cookie sent by the browser (HttpOnly, never
 * seen here), and the session's CSRF token in a header on every unsafe request. A 401 means the session is gone
 * (idle timeout, sign-out elsewhere, expiry): the app shows the sign-in screen saying so.
 */
export const API = {
  session: '/console/api/session',
  signInOptions: '/console/api/sign-in-options',
  oidcStart: '/console/api/oidc/start',
  events: '/console/api/events',
  timeline: '/console/api/timeline',
  contentView: (notificationId: string) => `/console/api/notifications/${encodeURIComponent(notificationId)}/views`,
  integrity: '/console/api/integrity',
  dashboard: '/console/api/dashboard',
} as const;

export const CSRF_HEADER = 'x-csrf-token';

/** RFC 9457 problem details as the hub writes them; `errors` point at the fields that were wrong. */
export interface Problem {
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code?: string;
  readonly requestId?: string;
  readonly errors?: readonly { readonly pointer: string; readonly detail: string }[];
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.title);
    this.problem = problem;
  }
}

/** The session ended: the app shows the sign-in screen. */
export class SignedOutError extends Error {}

type Query = Readonly<Record<string, string | undefined>>;

let csrfToken: string | null = null;
let onSignedOut: () => void = () => undefined;
let onActivity: () => void = () => undefined;

export function useSession(session: ConsoleSession | null): void {
  csrfToken = session?.csrfToken ?? null;
}

/** What the app does when any call finds the session gone, and when a call kept it alive. */
export function watchSession(handlers: { signedOut: () => void; activity: () => void }): void {
  onSignedOut = handlers.signedOut;
  onActivity = handlers.activity;
}

async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, query?: Query, body?: unknown): Promise<T> {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== '') url.searchParams.set(name, value);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken !== null) headers[CSRF_HEADER] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401 && path !== API.session) {
    onSignedOut();
    throw new SignedOutError('signed out');
  }
  if (!response.ok) throw new ApiError(await problemOf(response));
  onActivity();
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    if (typeof body.title === 'string') return { ...body, title: body.title, status: response.status };
  } catch {
    // Not JSON (a proxy's page): the status alone says enough.
  }
  return { title: response.statusText || 'The request failed', status: response.status };
}

/** The current session, or null when nobody is signed in. */
export async function currentSession(): Promise<ConsoleSession | null> {
  try {
    return await request<ConsoleSession>('GET', API.session);
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401) return null;
    throw error;
  }
}

export const signInOptions = () => request<SignInOptions>('GET', API.signInOptions);
export const signIn = (username: string, password: string) =>
  request<ConsoleSession>('POST', API.session, undefined, { username, password });
export const signOut = () => request<undefined>('DELETE', API.session);
export const searchEvents = (query: Query) => request<SearchPage>('GET', API.events, query);
export const timeline = (query: Query) => request<Timeline>('GET', API.timeline, query);
export const viewContent = (notificationId: string, reason: string) =>
  request<ContentView>('POST', API.contentView(notificationId), undefined, { reason });
export const integrity = () => request<Integrity>('GET', API.integrity);
export const dashboard = (query: Query) => request<Dashboard>('GET', API.dashboard, query);
