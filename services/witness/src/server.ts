import { HubError } from '@hub/errors';
import { createHttpServer, type HttpServer } from '@hub/http';
import type { Logger } from '@hub/logger';
import { MAX_ADD_CHECKPOINT_BYTES } from '@hub/tlog';
import type { Witness } from './witness.ts';

const PROBLEM_OF_STATUS = {
  400: 'bad-request',
  403: 'forbidden',
  404: 'not-found',
  422: 'unprocessable',
} as const;

const ORIGIN_HASH = /^[0-9a-f]{64}$/;

/**
 * The witness's HTTP face on `@hub/http` (timeouts, safe request logs, problem+json refusals, `/health/*`):
 * C2SP tlog-witness `POST /add-checkpoint` and the monitoring `GET /<origin hash>/checkpoint`. The submission and
 * monitoring prefixes are both the root; a gateway can mount them elsewhere.
 */
export function createWitnessServer(witness: Witness, logger: Logger): HttpServer {
  const app = createHttpServer({ logger, serviceName: 'witness', bodyLimitBytes: MAX_ADD_CHECKPOINT_BYTES });
  // The protocol's bodies are text lines whatever the content type says (Go clients send none): read raw bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });

  app.post('/add-checkpoint', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const answer = await witness.addCheckpoint(body);
    if ('detail' in answer) throw new HubError(PROBLEM_OF_STATUS[answer.status], answer.detail);
    return reply.code(answer.status).type(answer.contentType).header('cache-control', 'no-store').send(answer.body);
  });

  app.get<{ Params: { originHash: string } }>('/:originHash/checkpoint', (request, reply) => {
    const { originHash } = request.params;
    const checkpoint = ORIGIN_HASH.test(originHash) ? witness.latestByOriginHash(originHash) : undefined;
    if (checkpoint === undefined) throw new HubError('not-found', 'no cosigned checkpoint of that log here');
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(checkpoint);
  });

  return app;
}
