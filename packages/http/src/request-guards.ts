import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '@hub/errors';

/**
 * Refusals made from the request line and headers alone, before any body is read (an onRequest hook).
 *
 * - HTTP/1.1 without `Host` (RFC 9112 §3.2: the server must answer 400). Node would answer a bare 400 itself; the
 *   server turns that off (`requireHostHeader: false`) so the refusal is problem+json like every other.
 * - A body with a `Content-Encoding` other than `identity`: the hub does not decode bodies, and parsing encoded
 *   bytes as JSON (or accepting JSON mislabelled as gzip) would act on something the client did not mean.
 *   415 (RFC 9110 §15.5.16).
 */
export function refuseUnservable(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
  const { headers, httpVersionMajor, httpVersionMinor } = request.raw;
  if (headers.host === undefined && (httpVersionMajor > 1 || (httpVersionMajor === 1 && httpVersionMinor >= 1))) {
    // As Node would: a client this confused about HTTP/1.1 should not reuse the connection.
    void reply.header('connection', 'close');
    done(new HubError('bad-request', 'An HTTP/1.1 request must carry a Host header.'));
    return;
  }
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && !isIdentity(encoding)) {
    done(new HubError('unsupported-media-type', 'Content-Encoding is not supported; send the body unencoded.'));
    return;
  }
  done();
}

/** `identity`, any case, possibly listed more than once (`identity, identity`), and nothing else. */
function isIdentity(encoding: string): boolean {
  return encoding.split(',').every((coding) => coding.trim().toLowerCase() === 'identity');
}
