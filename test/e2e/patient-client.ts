/*
 * Clients of one deployment as real systems call it: one access token per client, kept until near its expiry (not
 * one per request, which would fill the audit trail with token events), and requests retried while the hub says
 * `not-ready` (503, after its Retry-After) or cannot be reached, as a police system or a GP system does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestHub } from '@hub/hub/testing';

/** Tokens live 300 s; one is renewed well before that. */
const TOKEN_KEPT_MS = 120_000;
/** The longest wait a Retry-After may ask for here (the hub's is 5 s). */
const MAX_RETRY_AFTER_MS = 5_000;
const RETRY_MS = 250;
const REQUEST_TIMEOUT_MS = 15_000;

export interface PatientClients {
  /** One attempt through instance `via` (default the first), with the client's kept token. */
  call(client: string, path: string, init?: RequestInit, via?: number): Promise<Response>;
  /** Retried while not ready or unreachable, up to `deadlineMs`; any other answer is returned. */
  send(client: string, path: string, init?: RequestInit, options?: SendOptions): Promise<Response>;
}

export interface SendOptions {
  readonly via?: number;
  readonly deadlineMs?: number;
}

/** How long a 503 asks to wait (its Retry-After, capped), else the short default. */
export function retryAfterMs(response: Response | undefined): number {
  const seconds = Number(response?.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1_000, MAX_RETRY_AFTER_MS) : RETRY_MS;
}

export function patientClients(hubs: readonly TestHub[]): PatientClients {
  const tokens = new Map<string, { token: string; until: number }>();

  async function token(client: string, hub: TestHub): Promise<string> {
    const kept = tokens.get(client);
    if (kept !== undefined && kept.until > Date.now()) return kept.token;
    const fresh = await hub.token(client);
    tokens.set(client, { token: fresh, until: Date.now() + TOKEN_KEPT_MS });
    return fresh;
  }

  async function call(client: string, path: string, init: RequestInit = {}, via = 0): Promise<Response> {
    const hub = hubs[via % hubs.length];
    if (hub === undefined) throw new Error('no hub instance');
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${await token(client, hub)}`);
    if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${hub.url}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init, headers });
  }

  return {
    call,
    async send(client, path, init = {}, options = {}) {
      const deadline = Date.now() + (options.deadlineMs ?? 90_000);
      let last = 'nothing yet';
      while (Date.now() < deadline) {
        let wait = RETRY_MS;
        try {
          const response = await call(client, path, init, options.via);
          if (response.status !== 503) return response;
          last = `503 ${await response.text()}`;
          wait = retryAfterMs(response);
        } catch (error) {
          // Unreachable, or the token endpoint not ready (its Redis restarting): retried.
          last = error instanceof Error ? error.message : String(error);
        }
        await sleep(wait);
      }
      throw new Error(`${client} ${init.method ?? 'GET'} ${path.split('?')[0] ?? ''}: gave up (last: ${last})`);
    },
  };
}
