import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';

/**
 * Tells a reader whether a SQLite file may have changed since it last looked: `generation` moves
 * on every possible change, so a value read at generation G is still current while it is G.
 *
 * Changes come from two places:
 * - this process: every connection to the file bumps the generation as it prepares a write or
 *   ends a transaction (see sqlite-kysely.ts), synchronously, before the change can be seen;
 * - other processes (the other workers, the CLI): in WAL mode every commit appends to the
 *   `-wal` file, and inotify reports that write. The report is queued by the kernel before the
 *   committing process's write returns, so it reaches this process's event loop ahead of any
 *   request sent after the commit.
 *
 * `watching` is false where that second source is not trustworthy (not Linux, where fs.watch
 * has other semantics, or the watch failed): readers must then not cache at all.
 */
export interface ChangeSignal {
  readonly generation: number;
  readonly watching: boolean;
  bump(): void;
  /** Drops this connection's interest; the watch stops with the last one. */
  release(): void;
}

interface SharedSignal {
  generation: number;
  watching: boolean;
  users: number;
  watcher: FSWatcher | undefined;
}

/** One signal per file for every connection in this process. */
const signals = new Map<string, SharedSignal>();

function startWatching(filename: string, shared: SharedSignal): void {
  if (process.platform !== 'linux') return;
  const base = path.basename(filename);
  try {
    // The directory, not the file: SQLite deletes and recreates the -wal file.
    const watcher = watch(path.dirname(filename), { persistent: false }, (_event, changed) => {
      if (changed === null || changed.startsWith(base)) shared.generation += 1;
    });
    watcher.on('error', () => {
      shared.watching = false;
      shared.generation += 1;
      watcher.close();
    });
    shared.watcher = watcher;
    shared.watching = true;
  } catch {
    // Out of inotify watches, say: correct but uncached.
    shared.watching = false;
  }
}

/**
 * The change signal for a database file, shared by this process's connections to it.
 * `:memory:` databases are private to their connection, so they get a signal of their own that
 * only their own writes move.
 *
 * @example
 * const signal = changeSignalFor('/srv/gatehouse/data/gatehouse.sqlite3');
 * const seen = signal.generation; // … read … later: if (signal.generation !== seen) re-read
 */
export function changeSignalFor(filename: string): ChangeSignal {
  const isMemory = filename === ':memory:';
  let shared = isMemory ? undefined : signals.get(filename);
  if (shared === undefined) {
    shared = { generation: 0, watching: isMemory, users: 0, watcher: undefined };
    if (!isMemory) {
      signals.set(filename, shared);
      startWatching(filename, shared);
    }
  }
  shared.users += 1;
  const own = shared;
  let released = false;
  return {
    get generation() {
      return own.generation;
    },
    get watching() {
      return own.watching;
    },
    bump() {
      own.generation += 1;
    },
    release() {
      if (released) return;
      released = true;
      own.users -= 1;
      if (own.users > 0 || isMemory) return;
      own.watcher?.close();
      signals.delete(filename);
    },
  };
}
