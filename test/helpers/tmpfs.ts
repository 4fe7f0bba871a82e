/*
 * A small file system (tmpfs) mounted for the tests of one describe block, to see what a command
 * says when the disk fills up or turns read-only. Mounting needs root: without it (or in a
 * container that may not mount) the block's tests are skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type SmallFileSystem = {
  /** the mount point (set once the block's before hook ran) */
  readonly dir: string;
  /** mount -o remount,<opts> (e.g. 'ro', 'rw,size=64m') */
  remount(opts: string): void;
};

/** Call inside a describe: mounts a tmpfs of `size` (mount's size= option) before its tests, unmounts after. */
export function smallFileSystem(size: string): SmallFileSystem {
  let mnt: string | undefined;
  before(function () {
    const dir = mkdtempSync(join(tmpdir(), 'bulkops-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
      mnt = dir;
    } catch {
      rmSync(dir, { recursive: true, force: true });
      this.skip();
    }
  });
  after(() => {
    if (!mnt) return;
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  return {
    get dir(): string {
      return mnt!;
    },
    remount: (opts: string): void => {
      execFileSync('mount', ['-o', `remount,${opts}`, mnt!], { stdio: 'pipe' });
    },
  };
}
