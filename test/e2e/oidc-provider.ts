/*
 * A real OpenID Provider for the console's tests: panva's `oidc-provider` (the certified implementation) on a local
 * port, with one confidential client (client_secret_basic, PKCE required) and its development sign-in screens, which
 * accept any login as the subject. `signInThrough` drives a browser's part of the authorization code flow over
 * real HTTP: the hub's redirect to the provider, the provider's sign-in and consent forms, and back to the hub.
 */
import { createServer, type Server } from 'node:net';
import Provider from 'oidc-provider';

export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  stop(): Promise<void>;
}

/** A port free now (for a server that must know its URL before it starts). */
export async function freePort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startTestProvider(options: { port: number; redirectUri: string }): Promise<TestProvider> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const clientId = 'hub-console';
  const clientSecret = 'a-test-client-secret-of-the-console-32chars';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    cookies: { keys: ['a-test-cookie-key'] },
    findAccount: (_ctx, sub) => Promise.resolve({ accountId: sub, claims: () => Promise.resolve({ sub }) }),
  });
  const server = provider.listen(options.port, '127.0.0.1');
  await new Promise<void>((resolve) => {
    server.once('listening', () => {
      resolve();
    });
  });
  return {
    issuer,
    clientId,
    clientSecret,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A browser's cookies, per origin, as `name=value` pairs. */
export class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  take(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const jar = this.byOrigin.get(origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      const maxAge = /;\s*max-age=0\b/i.test(line);
      if (at > 0) {
        if (maxAge || pair.slice(at + 1) === '') jar.delete(pair.slice(0, at));
        else jar.set(pair.slice(0, at), pair.slice(at + 1));
      }
    }
    this.byOrigin.set(origin, jar);
  }

  header(url: string): string {
    return [...(this.byOrigin.get(new URL(url).origin) ?? new Map<string, string>())]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }

  get(url: string, name: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin)?.get(name);
  }
}

/** One request as a browser sends it: its cookies, no redirect followed. */
export async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookies = jar.header(url);
  if (cookies !== '') headers.set('cookie', cookies);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.take(url, response);
  return response;
}

/**
 * From the hub's `GET /v1/console/oidc/authorization` to the hub's callback answer, signing in at the provider as
 * `subject` (and consenting). Answers the callback's response (a redirect to the console or its sign-in screen).
 */
export async function signInThrough(
  jar: CookieJar,
  hubUrl: string,
  subject: string,
  tamper: (callback: URL) => void = () => undefined,
): Promise<Response> {
  let url = `${hubUrl}/v1/console/oidc/authorization`;
  for (let step = 0; step < 20; step++) {
    let response = await browse(jar, url);
    if (response.status === 200) {
      // A sign-in or consent form of the provider's development screens.
      const page = await response.text();
      const prompt = /name="prompt" value="([a-z]+)"/.exec(page)?.[1];
      const action = /action="([^"]+)"/.exec(page)?.[1];
      if (prompt === undefined || action === undefined) throw new Error('unexpected provider page');
      const body = new URLSearchParams({ prompt, ...(prompt === 'login' ? { login: subject, password: 'x' } : {}) });
      response = await browse(jar, new URL(action, url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
    }
    const location = response.headers.get('location');
    if (location === null) throw new Error(`no redirect from ${new URL(url).pathname}: ${response.status}`);
    const next = new URL(location, url);
    if (next.origin === new URL(hubUrl).origin && next.pathname === '/v1/console/oidc/callback') {
      tamper(next);
      return browse(jar, next.href);
    }
    url = next.href;
  }
  throw new Error('the sign-in did not come back to the hub');
}
