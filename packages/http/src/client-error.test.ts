import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createClientErrorHandler } from './problem.ts';
import { captureLogs } from '@hub/testkit';

function fakeSocket(): { socket: Socket; written: string[]; destroyed: () => boolean } {
  const written: string[] = [];
  let destroyed = false;
  const socket = {
    get destroyed() {
      return destroyed;
    },
    writable: true,
    write: (data: string) => written.push(data),
    destroy: () => {
      destroyed = true;
    },
  } as unknown as Socket;
  return { socket, written, destroyed: () => destroyed };
}

function connectionError(code: string): ConnectionError {
  return Object.assign(new Error(code), { code, bytesParsed: 0, rawPacket: { type: 'Buffer', data: [] } });
}

describe('connection-level errors', () => {
  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request-timeout'],
    ['HPE_HEADER_OVERFLOW', 431, 'headers-too-large'],
    ['HPE_INVALID_METHOD', 400, 'bad-request'],
  ])('answers %s with a %i problem+json on the raw socket', (errorCode, status, code) => {
    const { socket, written, destroyed } = fakeSocket();
    createClientErrorHandler(captureLogs().logger)(connectionError(errorCode), socket);
    expect(written).toHaveLength(1);
    const [head, body] = written[0]!.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toContain('Content-Type: application/problem+json');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toMatchObject({
      status,
      code,
      type: `https://safeguarding-hub.invalid/problems/${code}`,
    });
    expect(destroyed()).toBe(true);
  });

  it('writes nothing when the peer reset the connection', () => {
    const { socket, written } = fakeSocket();
    createClientErrorHandler(captureLogs().logger)(connectionError('ECONNRESET'), socket);
    expect(written).toEqual([]);
  });
});
