import { HubError } from '@hub/errors';
import type { z } from 'zod';

/**
 * Page cursors that look opaque (base64url of a small JSON object) so clients pass them back rather than build
 * them. Only the canonical encoding is accepted: each position has exactly one cursor, nothing hides in padding or
 * whitespace, and anything this service did not make is refused as a 400 on the `cursor` field.
 */
export interface OpaqueCursor<Position> {
  readonly encode: (position: Position) => string;
  /** The position a cursor stands for, or undefined when it is not a cursor this service made. */
  readonly decode: (value: string) => Position | undefined;
  /** The position of the `cursor` query parameter (already checked for shape by the route's contract), or a 400. */
  readonly fromQuery: (value: string) => Position;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function opaqueCursor<Payload, Position>(options: {
  readonly maxLength: number;
  /** The JSON form, strict. */
  readonly payload: z.ZodType<Payload>;
  readonly toPayload: (position: Position) => Payload;
  readonly fromPayload: (payload: Payload) => Position;
}): OpaqueCursor<Position> {
  const encode = (position: Position) => Buffer.from(JSON.stringify(options.toPayload(position))).toString('base64url');
  const decode = (value: string): Position | undefined => {
    if (value.length > options.maxLength || !BASE64URL.test(value)) return undefined;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = options.payload.safeParse(decoded);
    if (!parsed.success) return undefined;
    const position = options.fromPayload(parsed.data);
    return encode(position) === value ? position : undefined;
  };
  const fromQuery = (value: string): Position => {
    const position = decode(value);
    if (position !== undefined) return position;
    throw new HubError('validation-failed', 'The request has 1 invalid field.', {
      errors: [{ pointer: '/query/cursor', detail: 'must be the nextCursor of a previous page' }],
    });
  };
  return { encode, decode, fromQuery };
}
