import { chmod, open } from 'node:fs/promises';

/**
 * Writes a file only its owner can read (0600) and flushes it to disk before returning.
 * `wx` refuses to replace an existing file.
 */
export async function writeOwnerOnlyFile(path: string, content: string, flag: 'w' | 'wx'): Promise<void> {
  const handle = await open(path, flag, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, 0o600); // the mode given to open is only used when the file is new, and the umask applies
}
