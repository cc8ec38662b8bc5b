import { realpathSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';

/**
 * How long after the last change event a SQLite file is reported changed once more. A commit by
 * another process writes the `-wal` file (inotify reports this) *before* it updates the `-shm`
 * index through mmap (which inotify does not report), so a reader that wakes on the event and
 * reads at once may still get the snapshot from before the commit and keep it. The second report
 * drops whatever was kept in that gap. A writer stalled longer than this between the two steps
 * is covered by the view's age bound (GATEHOUSE_SESSION_STATE_MAX_AGE).
 */
export const SETTLE_MS = 50;

/** `changed`: the file may have changed. `lost`: changes can no longer be seen (stop trusting memory). */
export type ChangeEvent = 'changed' | 'lost';

/**
 * Tells this process's readers of a SQLite file when it may have changed:
 * - this process: every connection calls `bump()` as it prepares a write or ends a transaction
 *   (see sqlite-kysely.ts), synchronously, before the change can be seen;
 * - other processes (the other workers, the CLI): in WAL mode every commit appends to the `-wal`
 *   file, and inotify reports that write; then once more {@link SETTLE_MS} later.
 *
 * `watching` is false where the second source is not trustworthy (not Linux, where fs.watch has
 * other semantics, or the watch failed): readers must then not keep anything.
 */
export interface ChangeSignal {
  readonly watching: boolean;
  bump(): void;
  /** Calls `listener` on every possible change; returns the unsubscribe function. */
  subscribe(listener: (event: ChangeEvent) => void): () => void;
  /** Drops this connection's interest; the watch stops with the last one. */
  release(): void;
}

interface SharedSignal {
  watching: boolean;
  users: number;
  readonly listeners: Set<(event: ChangeEvent) => void>;
  watcher: FSWatcher | undefined;
  settle: NodeJS.Timeout | undefined;
}

/** One signal per real file path for every connection in this process. */
const signals = new Map<string, SharedSignal>();

function emit(shared: SharedSignal, event: ChangeEvent): void {
  for (const listener of shared.listeners) listener(event);
}

function changedOnDisk(shared: SharedSignal): void {
  emit(shared, 'changed');
  // One timer for a burst of events: it fires SETTLE_MS after the last of them.
  if (shared.settle !== undefined) clearTimeout(shared.settle);
  shared.settle = setTimeout(() => {
    shared.settle = undefined;
    emit(shared, 'changed');
  }, SETTLE_MS);
  shared.settle.unref();
}

function startWatching(realFile: string, shared: SharedSignal): void {
  if (process.platform !== 'linux') return;
  const base = path.basename(realFile);
  try {
    // The directory, not the file: SQLite deletes and recreates the -wal file.
    const watcher = watch(path.dirname(realFile), { persistent: false }, (_event, changed) => {
      if (changed === null || changed.startsWith(base)) changedOnDisk(shared);
    });
    watcher.on('error', () => {
      shared.watching = false;
      watcher.close();
      emit(shared, 'lost');
    });
    shared.watcher = watcher;
    shared.watching = true;
  } catch {
    // Out of inotify watches, say: correct but nothing kept.
    shared.watching = false;
  }
}

/** The path SQLite writes next to: it resolves symbolic links, so the -wal sits beside the real file. */
function realFileOf(filename: string): string {
  try {
    return realpathSync(filename);
  } catch {
    return path.resolve(filename);
  }
}

/**
 * The change signal for a database file (opened already, so that its real path exists), shared
 * by this process's connections to it. `:memory:` databases are private to their connection, so
 * they get a signal of their own that only their own writes move.
 *
 * @example
 * const signal = changeSignalFor('/srv/gatehouse/data/gatehouse.sqlite3');
 * const unsubscribe = signal.subscribe((event) => (event === 'lost' ? view.setLive(false) : view.changed()));
 */
export function changeSignalFor(filename: string): ChangeSignal {
  const isMemory = filename === ':memory:';
  const key = isMemory ? filename : realFileOf(filename);
  let shared = isMemory ? undefined : signals.get(key);
  if (shared === undefined) {
    shared = { watching: isMemory, users: 0, listeners: new Set(), watcher: undefined, settle: undefined };
    if (!isMemory) {
      signals.set(key, shared);
      startWatching(key, shared);
    }
  }
  shared.users += 1;
  const own = shared;
  let released = false;
  return {
    get watching() {
      return own.watching;
    },
    bump() {
      emit(own, 'changed');
    },
    subscribe(listener) {
      own.listeners.add(listener);
      return () => own.listeners.delete(listener);
    },
    release() {
      if (released) return;
      released = true;
      own.users -= 1;
      if (own.users > 0 || isMemory) return;
      own.watcher?.close();
      if (own.settle !== undefined) clearTimeout(own.settle);
      signals.delete(key);
    },
  };
}
