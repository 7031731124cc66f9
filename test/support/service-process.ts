import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Service } from './service.js';

/**
 * What the kernel says about a running service: its pid, open sockets and memory, read from
 * /proc (Linux). The process is found by its environment, which names the service's own data
 * directory, so a restart (a new pid) is followed and no other process is mistaken for it.
 */
export class ServiceProcess {
  private constructor(readonly pid: number) {}

  static of(service: Service): ServiceProcess {
    const marker = `HOOKLEDGER_DATA_DIR=${service.dataDir}`;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (environ.includes(marker) && cmdline.includes('dist/main.js')) return new ServiceProcess(Number(entry));
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
    throw new Error(`no running service process for ${service.dataDir}`);
  }

  /** File descriptors that are sockets: the listener, API clients, connections to receivers. */
  openSockets(): number {
    let sockets = 0;
    for (const fd of readdirSync(`/proc/${this.pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${this.pid}/fd/${fd}`).startsWith('socket:')) sockets++;
      } catch {
        // Closed between the listing and the read.
      }
    }
    return sockets;
  }

  /** The process's threads and their nice values, the main thread (its id is the pid) first. */
  threads(): ThreadPriority[] {
    return threadPriorities(this.pid);
  }

  /** Resident memory now and its peak since the process started, in bytes. */
  memory(): { rss: number; peakRss: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
  }
}

export interface ThreadPriority {
  id: number;
  nice: number;
}

/** A process's threads and their nice values as the kernel has them, the main thread (its id is the pid) first. */
export function threadPriorities(pid: number): ThreadPriority[] {
  const threads: ThreadPriority[] = [];
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${entry}/stat`, 'utf8');
      // The fields after the command (in parentheses) start at the third; the nice value is the 19th.
      threads.push({ id: Number(entry), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) });
    } catch {
      // Ended between the listing and the read.
    }
  }
  return threads.sort((a, b) => (a.id === pid ? -1 : b.id === pid ? 1 : a.id - b.id));
}
