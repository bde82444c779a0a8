import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `file` so a reader (or a crash) sees the old content or the new, never a part: written beside it (same
 * file system, so the rename is atomic) with `mode`, synced, renamed over it, and the directory synced so the rename
 * itself survives a power cut. `exclusive` refuses to replace a file that exists (a key is never overwritten).
 */
export async function writeFileAtomically(
  file: string,
  content: string,
  options: { readonly mode: number; readonly exclusive?: boolean },
): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.exclusive === true) {
      // A hard link fails when the target exists, where rename would replace it.
      await link(temp, file);
      await rm(temp);
    } else {
      await rename(temp, file);
    }
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(file));
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
