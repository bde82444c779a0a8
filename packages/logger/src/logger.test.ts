import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, withContext, CENSOR } from './index.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ service: 'test', level: 'debug', destination }), lines };
}

const nhsNumber = '9434765919';
const family = 'Smithson';
const given = 'Alexandra';
const birthDate = '1987-03-14';
const bearer = 'Bearer eyJhbGciOiJSUzUxMiJ9.secret-token-body.sig';

describe('logger redaction', () => {
  it('never prints an NHS number, a name, a date of birth, a postcode or a bearer token, at any depth', () => {
    const { logger, lines } = capture();
    logger.info({ nhsNumber, name: { given, family }, birthDate, postcode: 'TA1 1AA' }, 'top level');
    logger.info({ incident: { subjects: [{ nhsNumber, name: { given, family }, birthDate }] } }, 'nested array');
    logger.info({ subject: { nhsNumber, birthDate, name: `${given} ${family}` } }, 'nested object');
    logger.info({ req: { headers: { authorization: bearer } } }, 'request');
    logger.info({ a: { b: { c: { token: bearer, dob: birthDate } } } }, 'deep');

    const output = lines.join('');
    expect(lines).toHaveLength(5);
    for (const secret of [nhsNumber, family, given, birthDate, 'TA1 1AA', 'secret-token-body']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain(CENSOR);
  });

  it('drops the arguments of a failed Redis command from a logged error, keeping its name', () => {
    const { logger, lines } = capture();
    // As ioredis attaches them to a ReplyError: the keys and values sent.
    const error = Object.assign(new Error('OOM command not allowed'), {
      command: { name: 'eval', args: ['script', '1', `cp:plans-by-child:${nhsNumber}`] },
    });
    logger.error({ err: error }, 'redis failed');
    const line = JSON.parse(lines[0]!) as { err: { command: unknown; message: string } };
    expect(line.err.command).toBe('eval');
    expect(line.err.message).toBe('OOM command not allowed');
    expect(lines.join('')).not.toContain(nhsNumber);
  });

  it('keeps non-personal fields readable', () => {
    const { logger, lines } = capture();
    logger.info({ incidentRef: 'inc-42', recipient: 'gp:A81001', count: 3 }, 'routed');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      incidentRef: 'inc-42',
      recipient: 'gp:A81001',
      count: 3,
      msg: 'routed',
      level: 'info',
    });
    expect(line['service']).toBe('test');
  });
});

describe('logger context', () => {
  it('stamps the trace id of the surrounding context on every line, across awaits', async () => {
    const { logger, lines } = capture();
    await withContext({ traceId: 'trace-abc' }, async () => {
      logger.info('before');
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info('after');
    });
    logger.info('outside');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => l['traceId'])).toEqual(['trace-abc', 'trace-abc', undefined]);
  });
});
