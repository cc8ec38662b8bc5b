import cluster, { type Worker } from 'node:cluster';
import { pino, type Logger } from 'pino';
import { loadServingConfig } from '../config/check-safety.js';
import type { Config } from '../config/schema.js';
import { isGatehouseError } from '../errors.js';
import { answerSharedCounters } from '../limits/cluster-counter-store.js';
import { answerClusterMetrics, countWorkerRestart } from '../metrics/cluster-metrics.js';
import { prepare } from '../runtime.js';
import { DRAIN, RECYCLE, isSupervisorMessage } from './worker-messages.js';

/** A worker that stays up this long resets the crash backoff. */
const STABLE_MS = 10_000;
/** More crashes than this within {@link CRASH_WINDOW_MS}, with no worker up, and the primary gives up. */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 30_000;
const MAX_BACKOFF_MS = 8000;
/** How long a new worker may take to start listening before a reload gives up on it. */
const START_TIMEOUT_MS = 60_000;
/** Slack on top of the graceful timeout before a draining worker is killed. */
const KILL_SLACK_MS = 5000;

interface Child {
  readonly worker: Worker;
  /** Which of the N places this worker fills; a replacement takes the same one. */
  readonly slot: number;
  readonly startedAt: number;
  listening: boolean;
  /** Asked to drain: its exit is planned, not a crash. */
  retiring: boolean;
  recycleAsked: boolean;
  stableTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
}

/** Delay before the n-th crash in a row is replaced: the first at once, then 250 ms doubling. */
export function backoffMs(consecutiveCrashes: number): number {
  return consecutiveCrashes <= 1 ? 0 : Math.min(250 * 2 ** (consecutiveCrashes - 2), MAX_BACKOFF_MS);
}

/**
 * The arbiter (Gunicorn's, on `node:cluster`): runs migrations once, forks `config.workers`
 * workers sharing one port and serves nothing itself. Replaces crashed workers with backoff and
 * exits 1 when they cannot stay up; SIGTERM/SIGINT drain everything and exit 0; SIGHUP replaces
 * the workers one by one (new code and settings) without failing a request; a worker past its
 * max requests is replaced the same way. Every new worker reads the settings afresh, so each
 * reload, respawn and recycle first checks them as the start did (unsafe settings included): a
 * refused file keeps the running workers, with one error line naming the setting. Never
 * resolves: it ends the process.
 *
 * @example
 * if (cluster.isPrimary) await runPrimary(config);
 */
export async function runPrimary(config: Config): Promise<never> {
  // cluster.schedulingPolicy is left at its Linux default, SCHED_RR: the primary accepts and
  // hands connections out in turn, which spreads load evenly (the OS-level alternative piles
  // connections onto one or two workers) and lets a draining worker drop out of the rotation.
  const log = pino({ level: config.logLevel });
  await prepare(config);
  answerClusterMetrics();
  answerSharedCounters();
  return new Primary(config, log).start();
}

class Primary {
  private readonly children = new Map<number, Child>();
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  private crashTimes: number[] = [];
  private consecutiveCrashes = 0;
  private shuttingDown = false;
  private queue: Promise<void> = Promise.resolve();
  private exit: (code: number) => void = () => undefined;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  start(): Promise<never> {
    process.title = 'gatehouse: primary';
    this.log.info({ event: 'primary_started', workers: this.config.workers, host: this.config.host, port: this.config.port }, 'primary started');
    process.on('SIGTERM', () => this.shutdown('SIGTERM'));
    process.on('SIGINT', () => this.shutdown('SIGINT'));
    process.on('SIGHUP', () => this.reload());
    for (let slot = 0; slot < this.config.workers; slot++) this.spawn(slot);
    return new Promise<never>(() => {
      this.exit = (code) => {
        this.log.info({ event: 'primary_exit', code }, 'primary exiting');
        this.log.flush();
        process.exit(code);
      };
    });
  }

  private spawn(slot: number): Child {
    const worker = cluster.fork();
    const child: Child = { worker, slot, startedAt: Date.now(), listening: false, retiring: false, recycleAsked: false };
    this.children.set(worker.id, child);
    this.log.info({ event: 'worker_spawned', workerPid: worker.process.pid, slot }, 'worker spawned');
    worker.on('listening', () => {
      if (child.listening) return;
      child.listening = true;
      this.log.info({ event: 'worker_up', workerPid: worker.process.pid, slot }, 'worker up');
      // Asked to stop while it was still loading, before it could hear us.
      if (child.retiring) this.sendDrain(child);
      child.stableTimer = setTimeout(() => (this.consecutiveCrashes = 0), STABLE_MS);
    });
    worker.on('message', (message: unknown) => {
      if (isSupervisorMessage(message, RECYCLE) && !child.recycleAsked) {
        child.recycleAsked = true;
        this.log.info({ event: 'worker_max_requests', workerPid: worker.process.pid, slot }, 'worker reached max requests');
        this.enqueue(() => this.replace(child, 'max_requests').then(() => undefined));
      }
    });
    worker.on('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onExit(child: Child, code: number | null, signal: string | null): void {
    clearTimeout(child.stableTimer);
    clearTimeout(child.killTimer);
    this.children.delete(child.worker.id);
    const planned = child.retiring || this.shuttingDown;
    this.log[planned ? 'info' : 'error'](
      { event: 'worker_exit', workerPid: child.worker.process.pid, slot: child.slot, code, signal, planned },
      planned ? 'worker stopped' : 'worker died',
    );
    if (this.shuttingDown) {
      if (this.children.size === 0) this.exit(0);
      return;
    }
    if (child.retiring) return;

    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    const anyUp = [...this.children.values()].some((c) => c.listening && !c.retiring);
    if (this.crashTimes.length > MAX_CRASHES && !anyUp) {
      this.log.fatal({ event: 'crash_loop', crashes: this.crashTimes.length, windowSeconds: CRASH_WINDOW_MS / 1000 }, 'workers cannot stay up; exiting so the service manager restarts us');
      this.shuttingDown = true;
      for (const c of this.children.values()) c.worker.process.kill('SIGKILL');
      this.exit(1);
      return;
    }
    // A replacement for this slot may already be starting (reload, max requests).
    if ([...this.children.values()].some((c) => c.slot === child.slot && !c.retiring)) return;
    this.consecutiveCrashes += 1;
    const delay = backoffMs(this.consecutiveCrashes);
    this.respawnLater(child.slot, delay, false);
  }

  /**
   * Refills a crashed worker's slot after `delay`, once the settings pass; while they do not,
   * checks again every {@link MAX_BACKOFF_MS} (logging once), so a fixed file refills the slot.
   */
  private respawnLater(slot: number, delay: number, refusedBefore: boolean): void {
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.shuttingDown || [...this.children.values()].some((c) => c.slot === slot && !c.retiring)) return;
      const refusal = this.settingsRefusal();
      if (refusal !== undefined) {
        if (!refusedBefore) this.log.error({ event: 'respawn_refused', slot, reason: refusal }, 'crashed worker not replaced: fix the settings (checked again every few seconds)');
        this.respawnLater(slot, MAX_BACKOFF_MS, true);
        return;
      }
      countWorkerRestart('crash');
      this.spawn(slot);
    }, delay);
    this.respawnTimers.add(timer);
  }

  /** Why a new worker could not start with the settings as they are now, or `undefined`. */
  private settingsRefusal(): string | undefined {
    try {
      loadServingConfig(process.env);
      return undefined;
    } catch (error) {
      // Our own messages name settings, never their values.
      return isGatehouseError(error) ? error.message : 'unreadable settings';
    }
  }

  /** Starts a new worker in `old`'s slot, waits until it listens, then drains `old`. */
  private async replace(old: Child, reason: 'max_requests' | 'reload'): Promise<boolean> {
    if (this.shuttingDown || old.retiring || !this.children.has(old.worker.id)) return true;
    const refusal = this.settingsRefusal();
    if (refusal !== undefined) {
      const event = reason === 'reload' ? 'reload_refused' : 'recycle_refused';
      this.log.error({ event, workerPid: old.worker.process.pid, slot: old.slot, reason: refusal }, 'settings refused: the running worker is kept');
      return false;
    }
    const fresh = this.spawn(old.slot);
    const up = await this.waitUntilListening(fresh);
    if (!up) {
      this.log.error({ event: 'replacement_failed', slot: old.slot, reason }, 'new worker did not start; keeping the old one');
      if (this.children.has(fresh.worker.id)) this.retire(fresh);
      return false;
    }
    if (this.shuttingDown) return false;
    if (this.children.has(old.worker.id) && !old.retiring) {
      countWorkerRestart(reason);
      await this.retireAndWait(old);
    }
    return true;
  }

  private waitUntilListening(child: Child): Promise<boolean> {
    if (child.listening) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (up: boolean): void => {
        clearTimeout(timer);
        child.worker.off('listening', onListening);
        child.worker.off('exit', onExit);
        resolve(up);
      };
      const onListening = (): void => finish(true);
      const onExit = (): void => finish(false);
      const timer = setTimeout(() => finish(false), START_TIMEOUT_MS);
      child.worker.on('listening', onListening);
      child.worker.on('exit', onExit);
    });
  }

  /** Asks a worker to drain (finish in-flight requests, exit 0); kills it if it overstays. */
  private retire(child: Child): void {
    if (child.retiring) return;
    child.retiring = true;
    if (child.listening) this.sendDrain(child);
    child.killTimer = setTimeout(() => {
      this.log.warn({ event: 'worker_killed', workerPid: child.worker.process.pid, slot: child.slot }, 'worker overstayed the graceful timeout');
      child.worker.process.kill('SIGKILL');
    }, this.config.gracefulTimeout * 1000 + KILL_SLACK_MS);
  }

  private sendDrain(child: Child): void {
    if (child.worker.isConnected()) child.worker.send({ type: DRAIN }, undefined, () => undefined);
    else child.worker.process.kill('SIGTERM');
  }

  private retireAndWait(child: Child): Promise<void> {
    return new Promise((resolve) => {
      if (child.worker.isDead()) return resolve();
      child.worker.once('exit', () => resolve());
      this.retire(child);
    });
  }

  private enqueue(job: () => Promise<void>): void {
    // One replacement at a time, so capacity never drops below N during a reload.
    this.queue = this.queue.then(job).catch((error: unknown) => {
      this.log.error({ event: 'supervisor_error', err: error }, 'replacement failed');
    });
  }

  private reload(): void {
    if (this.shuttingDown) return;
    // New workers read the settings afresh: refuse a reload they could not start with.
    const refusal = this.settingsRefusal();
    if (refusal !== undefined) {
      this.log.error({ event: 'reload_refused', reason: refusal }, 'SIGHUP ignored: fix the settings');
      return;
    }
    this.log.info({ event: 'reload_started' }, 'SIGHUP: rolling restart');
    this.enqueue(async () => {
      const current = [...this.children.values()].filter((c) => !c.retiring);
      for (const child of current) {
        if (!(await this.replace(child, 'reload'))) {
          this.log.error({ event: 'reload_aborted' }, 'rolling restart stopped; remaining workers keep running');
          return;
        }
      }
      this.log.info({ event: 'reload_finished', workers: this.children.size }, 'rolling restart finished');
    });
  }

  private shutdown(signal: string): void {
    if (this.shuttingDown) {
      // A second signal: stop waiting.
      this.log.warn({ event: 'shutdown_forced', signal }, 'second signal: killing workers');
      for (const child of this.children.values()) child.worker.process.kill('SIGKILL');
      this.exit(1);
      return;
    }
    this.shuttingDown = true;
    this.log.info({ event: 'shutdown_started', signal, workers: this.children.size }, 'graceful shutdown');
    for (const timer of this.respawnTimers) clearTimeout(timer);
    this.respawnTimers.clear();
    if (this.children.size === 0) return this.exit(0);
    for (const child of this.children.values()) this.retire(child);
  }
}
