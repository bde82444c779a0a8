import type {
  AuditEvent,
  AuditLogVerification,
  ConsoleSession,
  ConsoleTimeline,
  ContentViewRequest,
  NotificationContentView,
  SafeguardingDashboard,
  consoleSignInOptions,
} from '@hub/contracts';
import type { z } from 'zod';
import { CONTRACT } from './contract.ts';

/**
 * The console API, as the browser calls it: same-origin, the session cookie kept by the browser (HttpOnly, never
 * seen here), and the session's CSRF token in a header on every unsafe request. A 401 from any route but the
 * session's own means the session has ended (idle timeout, lifetime, sign-out elsewhere): the app says so.
 */
const ROUTES = CONTRACT.routes;

/** RFC 9457 problem details as the hub writes them; `errors` point at the fields that were wrong. */
export interface Problem {
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code?: string;
  readonly reason?: string;
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
let onContact: () => void = () => undefined;

export function useSession(session: ConsoleSession | null): void {
  csrfToken = session?.csrfToken ?? null;
}

/** What the app does when a call finds the session gone, and when a call reached the server with it. */
export function watchSession(handlers: { signedOut: () => void; contact: () => void }): void {
  onSignedOut = handlers.signedOut;
  onContact = handlers.contact;
}

async function request<T>(method: 'GET' | 'POST', path: string, query?: Query, body?: unknown): Promise<T> {
  const response = await send(method, path, query, body);
  return (await response.json()) as T;
}

/** A route that answers text (the log's signed notes). */
async function requestText(path: string): Promise<string> {
  return (await send('GET', path)).text();
}

async function send(method: 'GET' | 'POST', path: string, query?: Query, body?: unknown): Promise<Response> {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(name, value);
  }
  const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9' };
  if (method !== 'GET' && csrfToken !== null) headers[CONTRACT.csrfHeader] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401 && path !== ROUTES.session && path !== ROUTES.signIn) {
    onSignedOut();
    throw new SignedOutError('signed out');
  }
  if (!response.ok) throw new ApiError(await problemOf(response));
  if (csrfToken !== null) onContact();
  return response;
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
    return await request<ConsoleSession>('GET', ROUTES.session);
  } catch (error) {
    if (error instanceof ApiError && error.problem.status === 401) return null;
    throw error;
  }
}

export type SignInOptions = z.infer<typeof consoleSignInOptions>;

/** A page of the audit search: the events as recorded (never content) and the next page's cursor. */
export interface SearchPage {
  readonly items: readonly AuditEvent[];
  readonly nextCursor: string | null;
}

export const signInOptions = () => request<SignInOptions>('GET', ROUTES.signInOptions);
export const signIn = (username: string, password: string) =>
  request<ConsoleSession>('POST', ROUTES.signIn, undefined, { username, password });
export const signOut = () => request<{ signedOut: true }>('POST', ROUTES.signOut, undefined, {});
export const searchEvents = (query: Query) => request<SearchPage>('GET', ROUTES.search, query);
export const timeline = (query: Query) => request<ConsoleTimeline>('GET', ROUTES.timeline, query);
export const viewContent = (notificationId: string, body: ContentViewRequest) =>
  request<NotificationContentView>(
    'POST',
    ROUTES.contentViews.replace('{notificationId}', encodeURIComponent(notificationId)),
    undefined,
    body,
  );
/** The latest cosigned checkpoint: the C2SP signed note itself (text). */
export const cosignedCheckpoint = () => requestText(ROUTES.cosignedCheckpoint);
export const logVerification = () => request<AuditLogVerification>('GET', ROUTES.verification);
export const verifyLogNow = () => request<{ started: boolean; running: true }>('POST', ROUTES.verifyNow);
export const dashboard = (query: { from: string; to: string }) =>
  request<SafeguardingDashboard>('GET', ROUTES.dashboard, query);
