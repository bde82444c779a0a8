/**
 * Standard base64 (RFC 4648 section 4) read strictly: only the one canonical spelling of some bytes is accepted
 * (padding present, no whitespace, no stray bits), so a note or a checkpoint has one encoding and an edit shows.
 * Node's own decoder skips what it does not understand; this returns undefined instead.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}
