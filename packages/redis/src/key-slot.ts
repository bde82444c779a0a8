/**
 * Redis Cluster's key slot (the Cluster specification, "Key distribution model"): CRC16 (XMODEM: polynomial 0x1021,
 * initial value 0) of the key, modulo 16384. When the key holds a `{`, and a `}` follows it with at least one
 * character between, only that first hash tag is hashed, so keys sharing a tag share a slot. A script or a MULTI
 * runs on Cluster only when all its keys share one slot.
 */
export const CLUSTER_SLOTS = 16_384;

const TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/** The slot of a key as Redis Cluster computes it, over the key's bytes (UTF-8). */
export function keySlot(key: string | Buffer): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % CLUSTER_SLOTS;
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}
