import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What every log line inside a request or message handler carries. Only opaque identifiers belong here:
 * the context is printed on every line, so it must never hold personal data.
 */
export interface LogContext {
  readonly traceId: string;
  readonly [key: string]: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `context` visible to every log line written inside it, across awaits. */
export function withContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): LogContext | undefined {
  return storage.getStore();
}

/** The trace id of the current request or message, or a new one when there is none (e.g. a timer). */
export function currentTraceId(): string {
  return storage.getStore()?.traceId ?? newTraceId();
}

/** 32 lowercase hex characters, the W3C trace-context trace-id form. */
export function newTraceId(): string {
  return randomUUID().replaceAll('-', '');
}
