import { statSync } from 'node:fs';
import { z } from 'zod';

/*
 * Strict coercions from environment strings. Each rejects anything it does not fully understand, and every message
 * says what is expected without repeating what was given (see load.ts: values are never echoed).
 */

/** Longest raw value any helper here accepts; environment values are short, a longer one is a mistake. */
export const MAX_ENV_VALUE_LENGTH = 4096;

/**
 * A whole number in decimal digits, optionally negative, within [min, max]. Rejects '8080abc', '1e3', '0x1f',
 * ' 80', '80.0' and '+80': a value that is not exactly a number is a mistake, not something to guess at.
 */
export function intInRange(min: number, max: number) {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
    throw new RangeError(`intInRange needs safe integers with min <= max, got ${min} and ${max}`);
  }
  const message = `must be a whole number from ${min} to ${max}`;
  return z.string().transform((raw, ctx) => {
    const value = /^-?\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return value;
  });
}

/** Exactly 'true' or 'false'. Not 'yes', '1', 'TRUE' or 'on': a typo must not silently flip a switch. */
export function booleanString() {
  return z.string().transform((raw, ctx) => {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    ctx.addIssue({ code: 'custom', message: "must be 'true' or 'false'" });
    return z.NEVER;
  });
}

export interface CommaListOptions {
  /** More items than this is an error. Required: every limit is explicit. */
  readonly maxItems: number;
}

/**
 * A comma-separated list, each item trimmed and parsed by `item`. Empty items ('a,,b') are errors. Each bad item
 * is its own problem, numbered from 1, so `A,B,C` with two bad items reports both.
 */
export function commaList<T>(item: z.ZodType<T, string>, options: CommaListOptions) {
  const { maxItems } = options;
  if (!Number.isSafeInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`commaList needs maxItems >= 1, got ${maxItems}`);
  }
  return z
    .string()
    .max(MAX_ENV_VALUE_LENGTH, `must be at most ${MAX_ENV_VALUE_LENGTH} characters`)
    .transform((raw, ctx) => {
      const parts = raw.split(',').map((part) => part.trim());
      if (parts.length > maxItems) {
        ctx.addIssue({ code: 'custom', message: `must have at most ${maxItems} comma-separated items` });
        return z.NEVER;
      }
      const items: T[] = [];
      parts.forEach((part, index) => {
        if (part === '') {
          ctx.addIssue({ code: 'custom', message: `item ${index + 1} is empty` });
          return;
        }
        const parsed = item.safeParse(part);
        if (parsed.success) {
          items.push(parsed.data);
        } else {
          for (const issue of parsed.error.issues) {
            ctx.addIssue({ code: 'custom', message: `item ${index + 1}: ${issue.message}` });
          }
        }
      });
      return items.length === parts.length ? items : z.NEVER;
    });
}

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/;

/** A DNS host name, an IPv4 address or a bare IPv6 address ('::'), at most 253 characters. */
export function hostName() {
  return z.string().refine((raw) => raw.length <= 253 && (HOST_NAME.test(raw) || IPV6.test(raw)), {
    message: 'must be a host name or an IP address',
  });
}

/** `host:port` (or `[ipv6]:port`) with a port from 1 to 65535, e.g. a Kafka broker. */
export function hostPort() {
  const message = 'must be host:port with a port from 1 to 65535';
  return z.string().refine(
    (raw) => {
      const match = /^(?:\[((?=[^\]]*:)[0-9A-Fa-f:.]{2,45})\]|([^:[\]]{1,253})):(\d{1,5})$/.exec(raw);
      if (match === null) return false;
      const [, ipv6, host, port] = match;
      const portNumber = Number(port);
      const hostOk = ipv6 !== undefined || (host !== undefined && HOST_NAME.test(host));
      return hostOk && portNumber >= 1 && portNumber <= 65_535;
    },
    { message },
  );
}

export interface UrlStringOptions {
  /** Allowed protocols, with the trailing colon as `URL#protocol` has it: `['redis:', 'rediss:']`. */
  readonly protocols: readonly [string, ...string[]];
  readonly maxLength?: number;
}

/**
 * An absolute URL with a host and one of the allowed protocols; kept as the original string (clients such as
 * ioredis parse it themselves). URLs can hold passwords, which is one more reason messages never echo values.
 */
export function urlString(options: UrlStringOptions) {
  const { protocols, maxLength = 2048 } = options;
  const message = `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
  return z.string().refine(
    (raw) => {
      if (raw.length > maxLength || !URL.canParse(raw)) return false;
      const url = new URL(raw);
      return protocols.includes(url.protocol) && url.hostname !== '';
    },
    { message },
  );
}

export type PathKind = 'file' | 'directory';

/**
 * A path to a file (or directory) that exists when the configuration is loaded, checked as a refinement so a
 * missing certificate or key fails start-up with the other problems instead of at first use. The value stays the
 * path string; reading the file is the caller's business.
 */
export function existingPath(kind: PathKind = 'file') {
  const message = `must be the path of an existing, accessible ${kind}`;
  return z
    .string()
    .max(MAX_ENV_VALUE_LENGTH, `must be at most ${MAX_ENV_VALUE_LENGTH} characters`)
    .refine(
      (raw) => {
        try {
          const stats = statSync(raw, { throwIfNoEntry: false });
          if (stats === undefined) return false;
          return kind === 'file' ? stats.isFile() : stats.isDirectory();
        } catch {
          // EACCES, ENOTDIR, a NUL byte in the path...: not usable, whatever the reason.
          return false;
        }
      },
      { message },
    );
}
