import cluster from 'node:cluster';
import type { Config } from '../config/schema.js';
import { isGatehouseError } from '../errors.js';
import { runPrimary } from './primary.js';
import { runWorker } from './worker.js';

/**
 * `gatehouse serve`: in the primary, the supervisor (migrations once, then N workers on one
 * port); in a worker (the same command, forked by the primary), one serving process.
 *
 * @example
 * await serve({ ...loadConfig(process.env), workers: 4 });
 */
export async function serve(config: Config): Promise<void> {
  if (cluster.isPrimary) return runPrimary(config);
  try {
    await runWorker(config);
  } catch (error) {
    // Only our own messages: they never hold a secret or a setting's value.
    const detail = isGatehouseError(error) ? error.message : `worker failed to start (${errorCode(error)})`;
    process.stderr.write(`gatehouse worker: ${detail}\n`);
    process.exit(1);
  }
  // The IPC channel would keep an idle worker alive.
  process.exit(0);
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unexpected';
}
