import { open } from 'node:fs/promises';

type SyncFile = (file: string) => Promise<void>;

/**
 * Unsynced writes (the read model's) stay dirty in the page cache until the kernel's flusher
 * writes them back, about 30 s after they were made and then all at once: under load that is
 * ~150 MB in one burst, and the ledger's own syncs queue behind it on the disk, which holds up
 * every publish for 50–150 ms. Asking for a data sync of the files every second, on libuv's thread
 * pool (never the event loop), turns that into a steady trickle. It promises nothing more: the
 * read model stays rebuildable from the ledger whatever happens to these writes.
 */
export class WritebackPacer {
  private timer: NodeJS.Timeout | null = null;
  private syncing = false;

  constructor(
    private readonly files: readonly string[],
    private readonly onError: (error: Error) => void,
    private readonly everyMs = 1000,
    private readonly sync: SyncFile = dataSync,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.syncAll(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round over the files; a round still running when the next is due makes that one a no-op. */
  async syncAll(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      for (const file of this.files) {
        try {
          await this.sync(file);
        } catch (error) {
          this.onError(error as Error);
        }
      }
    } finally {
      this.syncing = false;
    }
  }
}

/** fdatasync through a descriptor of its own; a file that is not there (yet) has nothing to write back. */
async function dataSync(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
