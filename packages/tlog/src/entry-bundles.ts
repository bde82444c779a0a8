import { TlogError } from './errors.ts';
import { TILE_WIDTH } from './tiles.ts';

// C2SP tlog-tiles, "Log entries": a bundle is up to 256 entries, each a big-endian uint16 length then its bytes.

/** The longest entry a uint16 length prefix can carry. */
export const MAX_ENTRY_BYTES = 0xffff;

export function encodeEntryBundle(entries: readonly Uint8Array[]): Buffer {
  if (entries.length < 1 || entries.length > TILE_WIDTH) {
    throw new TlogError('malformed-bundle', `a bundle holds 1 to ${TILE_WIDTH} entries, not ${entries.length}`);
  }
  const parts: Uint8Array[] = [];
  entries.forEach((entry, i) => {
    if (entry.length > MAX_ENTRY_BYTES) {
      throw new TlogError('malformed-bundle', `entry ${i} is longer than ${MAX_ENTRY_BYTES} bytes`);
    }
    const length = Buffer.alloc(2);
    length.writeUInt16BE(entry.length);
    parts.push(length, entry);
  });
  return Buffer.concat(parts);
}

/** The entries of a bundle; refuses a truncated entry, trailing bytes, or more than 256 entries. */
export function decodeEntryBundle(bytes: Uint8Array): Buffer[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const entries: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (entries.length === TILE_WIDTH) throw new TlogError('malformed-bundle', `more than ${TILE_WIDTH} entries`);
    if (offset + 2 > buffer.length) throw new TlogError('malformed-bundle', `a length prefix is cut at ${offset}`);
    const length = buffer.readUInt16BE(offset);
    if (offset + 2 + length > buffer.length) {
      throw new TlogError('malformed-bundle', `entry ${entries.length} is cut short`);
    }
    entries.push(Buffer.from(buffer.subarray(offset + 2, offset + 2 + length)));
    offset += 2 + length;
  }
  if (entries.length === 0) throw new TlogError('malformed-bundle', 'an entry bundle is never empty');
  return entries;
}
