import cluster, { type Worker } from 'node:cluster';
import type { CounterOperation, CounterStore, WindowCount } from './counter-store.js';
import { MemoryCounterStore } from './counter-store.js';

const REQUEST = 'gatehouse:counter';
const RESULT = 'gatehouse:counter-result';
/** A primary that does not answer in time (it is busy or gone) fails the call: the limit is skipped. */
const ANSWER_TIMEOUT_MS = 1000;

type CounterRequest = { readonly type: typeof REQUEST; readonly id: number } & CounterOperation;
interface CounterResult {
  readonly type: typeof RESULT;
  readonly id: number;
  readonly count: number;
  readonly ttlMs: number;
}

function isRequest(message: unknown): message is CounterRequest {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === REQUEST;
}

function isResult(message: unknown): message is CounterResult {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === RESULT;
}

/**
 * In the primary: holds the counters of every worker of this node, so that a limit counts once
 * per node without Redis instead of once per worker. Call once.
 *
 * @example
 * answerSharedCounters();
 * cluster.fork();
 */
export function answerSharedCounters(counters = new MemoryCounterStore()): void {
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isRequest(message)) return;
    const { count, ttlMs } = counters.apply(message);
    const answer: CounterResult = { type: RESULT, id: message.id, count, ttlMs };
    if (worker.isConnected()) worker.send(answer);
  });
}

/**
 * In a worker: the counters the primary holds (see {@link answerSharedCounters}), asked over the
 * cluster's IPC channel, one message each way.
 */
export class ClusterCounterStore implements CounterStore {
  readonly #pending = new Map<number, { resolve: (count: WindowCount) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 0;

  constructor() {
    process.on('message', (message: unknown) => {
      if (!isResult(message)) return;
      const waiting = this.#pending.get(message.id);
      if (waiting === undefined) return;
      this.#pending.delete(message.id);
      clearTimeout(waiting.timer);
      waiting.resolve({ count: message.count, ttlMs: message.ttlMs });
    });
  }

  #ask(operation: CounterOperation): Promise<WindowCount> {
    return new Promise((resolve, reject) => {
      if (process.send === undefined || !process.connected) {
        reject(new Error('no primary to hold the counters'));
        return;
      }
      const id = this.#nextId++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error('the primary did not answer'));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      const request: CounterRequest = { type: REQUEST, id, ...operation };
      process.send(request);
    });
  }

  hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.#ask({ op: 'hit', key, ms: windowMs });
  }

  peek(key: string): Promise<WindowCount> {
    return this.#ask({ op: 'peek', key });
  }

  async mark(key: string, ttlMs: number): Promise<void> {
    await this.#ask({ op: 'mark', key, ms: ttlMs });
  }
}
