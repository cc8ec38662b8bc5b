// wrk as the load generator. autocannon runs in one JavaScript thread and tops out near 40k req/s
// on this 2-core machine, about what one bare node:http worker answers, so it measured itself as
// much as the server; wrk is C on epoll and needs a fraction of a core for the same load.
// The request (method, headers, body) goes to wrk as a Lua script written to a temporary file.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Load generator settings, the same for every run so that every figure is comparable.
 * One wrk thread: on 2 cores the server's workers need them both, and a second wrk thread would
 * only take CPU from them; one thread drives well over 100k req/s on loopback, more than any
 * server here answers. 32 connections keep one or two workers busy without queueing so deep
 * that p99 measures the queue. Requests slower than 10 s count as errors (login under load with
 * the OWASP argon2 cost takes a few hundred ms; wrk's default of 2 s is too near).
 */
export const WRK_THREADS = 1;
export const CONNECTIONS = 32;
const TIMEOUT = '10s';

export interface WrkRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface WrkOptions extends WrkRequest {
  readonly url: string;
  /** wrk takes whole seconds only. */
  readonly durationSeconds: number;
  /** Default {@link CONNECTIONS}; only a run that is about the connection count sets its own (the login flood). */
  readonly connections?: number;
  /** Also count the answers per HTTP status (a Lua hook per response: slower, so only where needed). */
  readonly countStatuses?: boolean;
}

/** What one wrk run reports; latencies in ms. */
export interface WrkResult {
  readonly requests: number;
  /** The run's own duration as wrk measured it (without wrk's start and exit). */
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Responses with a status of 400 or more ("Non-2xx or 3xx responses"). */
  readonly non2xx: number;
  /** connect + read + write + timeout socket errors. */
  readonly socketErrors: number;
  /** Of those, requests unanswered after the timeout. */
  readonly timeouts: number;
  /** Answers per HTTP status, with `countStatuses` (else empty). */
  readonly statuses: Readonly<Record<number, number>>;
}

const WRK_MISSING = 'wrk, the load generator, is not installed: apt-get install wrk';

/** Fails at once, with the install command, when wrk is not on PATH. */
export function assertWrkInstalled(): void {
  const probe = spawnSync('wrk', ['--version'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error(WRK_MISSING);
}

/** A Lua string literal for any text: bytes outside printable ASCII, `"` and `\` as `\ddd`. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * Counts answers per status in each thread and prints them after wrk's report as `status 503: 1234`.
 * `statuses` is global so that done() can fetch each thread's copy.
 */
const STATUS_COUNTING = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do io.write(string.format("status %d: %d\\n", status, count)) end
  end
end
`;

/** The Lua script that makes every wrk request `request` (and counts statuses with `countStatuses`). */
export function requestScript(request: WrkRequest & { readonly countStatuses?: boolean }): string {
  const lines = [`wrk.method = ${luaString(request.method ?? 'GET')}`];
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  if (request.countStatuses === true) lines.push(STATUS_COUNTING);
  return `${lines.join('\n')}\n`;
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** wrk's "651.00us", "1.06ms", "3.00s" in ms. */
function milliseconds(value: string, unit: string): number {
  const scale = UNIT_MS[unit];
  if (scale === undefined) throw new Error(`wrk printed an unknown time unit: ${unit}`);
  return Number(value) * scale;
}

function match(output: string, pattern: RegExp, what: string): RegExpExecArray {
  const found = pattern.exec(output);
  if (found === null) throw new Error(`cannot read ${what} from wrk's output:\n${output}`);
  return found;
}

/** Reads a `wrk --latency` report. The error lines appear only when there were errors. */
export function parseWrkOutput(output: string): WrkResult {
  const percentile = (p: number): number => {
    const [, value = '', unit = ''] = match(output, new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm'), `p${p}`);
    return milliseconds(value, unit);
  };
  const [, requests = '', seconds = '', unit = ''] = match(output, /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m, 'the request count');
  // "Latency   avg   stdev   max   +/- stdev"
  const [, maxValue = '', maxUnit = ''] = match(output, /^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m|h)\s/m, 'the maximum latency');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const statuses: Record<number, number> = {};
  for (const [, status, count] of output.matchAll(/^status (\d+): (\d+)$/gm)) statuses[Number(status)] = (statuses[Number(status)] ?? 0) + Number(count);
  return {
    requests: Number(requests),
    seconds: milliseconds(seconds, unit) / 1000,
    p50: percentile(50),
    p99: percentile(99),
    max: milliseconds(maxValue, maxUnit),
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors: socket === null ? 0 : socket.slice(1).reduce((sum, count) => sum + Number(count), 0),
    timeouts: Number(socket?.[4] ?? 0),
    statuses,
  };
}

function runProcess(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new Error(WRK_MISSING) : error));
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}: ${stderr || stdout}`))));
  });
}

/**
 * One wrk run against `options.url`. Errors and non-2xx answers are counted, not thrown: the
 * caller decides (see load in cluster-bench.ts).
 *
 * @example
 * const result = await runWrk({ url: 'http://127.0.0.1:8000/api/me/', durationSeconds: 2, headers: { authorization: 'Bearer …' } });
 */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-wrk-'));
  try {
    const script = path.join(dir, 'request.lua');
    await writeFile(script, requestScript(options));
    const seconds = Math.max(1, Math.round(options.durationSeconds));
    const args = ['-t', String(WRK_THREADS), '-c', String(options.connections ?? CONNECTIONS), '-d', `${seconds}s`, '--timeout', TIMEOUT, '--latency', '-s', script, options.url];
    return parseWrkOutput(await runProcess('wrk', args));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
