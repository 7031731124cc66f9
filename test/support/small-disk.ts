import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A size-limited tmpfs to run a service's data directory on, so the disk can be made full while
 * it runs. Mounting needs root (CAP_SYS_ADMIN); `mount()` answers null where that is refused.
 */
export class SmallDisk {
  private constructor(readonly dir: string) {}

  static mount(sizeMiB: number): SmallDisk | null {
    const dir = mkdtempSync(join(tmpdir(), 'hookledger-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'hookledger-test', dir], { stdio: 'pipe' });
      return new SmallDisk(dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      return null;
    }
  }

  get filler(): string {
    return join(this.dir, 'filler');
  }

  /** Writes until the disk has no byte left. */
  fill(): void {
    const fd = openSync(this.filler, 'a');
    try {
      for (const size of [1 << 20, 1 << 12, 1]) {
        const chunk = Buffer.alloc(size, 0x5a);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  clear(): void {
    rmSync(this.filler, { force: true });
  }

  /** Unmounts (lazily, should a process still hold a file) and removes the mount point. */
  dispose(): void {
    execFileSync('umount', ['-l', this.dir], { stdio: 'pipe' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
