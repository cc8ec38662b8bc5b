import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the compiled `gatehouse` CLI with only `env` (and PATH) and `input` on stdin; killed
 * after 60 s.
 *
 * @example const result = await gatehouse(['users', 'add', 'alice', '--password-stdin'], env, 'correct horse battery\n');
 */
export function gatehouse(args: string[], env: Record<string, string | undefined>, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/**
 * The environment for running the CLI against a test database: its location and cheap argon2.
 *
 * @example const result = await gatehouse(['migrate'], cliEnv(database));
 */
export function cliEnv(database: { readonly dataDir: string; readonly databaseUrl: string | undefined }): Record<string, string | undefined> {
  return {
    GATEHOUSE_DATA_DIR: database.dataDir,
    GATEHOUSE_DATABASE_URL: database.databaseUrl,
    GATEHOUSE_ARGON2_MEMORY_KIB: '1024',
    GATEHOUSE_ARGON2_ITERATIONS: '1',
  };
}
