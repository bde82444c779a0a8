/** Thrown when an answer is longer than its limit (the body is cancelled, not read to the end). */
export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`the answer is over ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** A response's body as bytes, refusing (and cancelling) one over `limit` bytes: no answer is trusted to be small. */
export async function readLimitedBytes(response: Response, limit: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await response.body?.cancel();
    throw new ResponseTooLargeError(limit);
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export async function readLimited(response: Response, limit: number): Promise<string> {
  return (await readLimitedBytes(response, limit)).toString('utf8');
}
