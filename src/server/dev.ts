import cluster, { type Worker } from 'node:cluster';
import { watch } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { answerClusterMetrics } from '../metrics/cluster-metrics.js';
import { prepare } from '../runtime.js';
import { serve } from './serve.js';

const BANNER = [
  '',
  '  Gatehouse development server — not for production.',
  '  One process, restarted when the compiled code changes (run `npx tsc -w` alongside).',
  '  In production use `gatehouse serve` (npm start) behind nginx: see deploy/.',
  '',
].join('\n');

/** Changes closer together than this restart once (tsc writes many files at a time). */
const SETTLE_MS = 300;

/**
 * `gatehouse dev`: one worker that is restarted whenever a compiled `.js` file under the build
 * directory changes. Prints that it is not for production.
 *
 * @example
 * await dev(loadConfig(process.env));
 */
export async function dev(config: Config): Promise<void> {
  if (cluster.isWorker) return serve(config);
  process.stderr.write(`${BANNER}\n`);
  await prepare(config);
  answerClusterMetrics();

  // dist/src/server/dev.js → dist/
  const buildDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  let current: Worker | undefined;
  let stopping = false;
  const start = (): void => {
    current = cluster.fork();
  };
  const restart = (): void => {
    const old = current;
    if (old === undefined || old.isDead()) return start();
    old.once('exit', () => {
      if (!stopping) start();
    });
    old.process.kill('SIGTERM');
  };

  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(buildDir, { recursive: true }, (_event, file) => {
    if (file === null || !/\.(js|json)$/.test(file) || file.split(path.sep).includes('test')) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      process.stderr.write(`gatehouse dev: ${file} changed, restarting\n`);
      restart();
    }, SETTLE_MS);
  });

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    watcher.close();
    clearTimeout(timer);
    if (current === undefined || current.isDead()) process.exit(0);
    current.once('exit', () => process.exit(0));
    current.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  start();
  await new Promise<never>(() => undefined);
}
