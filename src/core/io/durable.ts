/*
 * Making writes survive a power cut, not only a killed process: the data of a file reaches the disk
 * on fsync, and a new name in a folder (a file just created, a rename) only once the folder itself
 * is fsynced. A ledger record that names a file is written after both, so replaying the ledger never
 * finds a file it names missing or short.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Tests watch which paths are synced, and when (a power cut cannot be staged in a test). */
export const syncWatch: { onSync?: (path: string) => void } = {};

/** Flushes a file's data (written through any handle, open or closed) to the disk. */
export async function syncFile(path: string): Promise<void> {
  syncWatch.onSync?.(path);
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (files created, renamed or removed in it) to the disk. */
export async function syncDir(path: string): Promise<void> {
  // Folders cannot be opened for fsync on Windows; NTFS journals names itself.
  if (process.platform !== 'win32') await syncFile(path);
}

/** The same as syncFile, for the ledger's synchronous writes. */
export function syncFileSync(path: string): void {
  syncWatch.onSync?.(path);
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function syncDirSync(path: string): void {
  if (process.platform !== 'win32') syncFileSync(path);
}
