import { readFileSync } from 'node:fs';
import { GatehouseError } from '../errors.js';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/** `KEY=value` lines (systemd EnvironmentFile / .env style); `#` comments and blank lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line)) continue;
    const match = LINE.exec(line);
    if (match === null) throw new GatehouseError('config_invalid', 'GATEHOUSE_ENV_FILE has a line that is not KEY=value');
    const [, key = '', raw = ''] = match;
    values[key] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return values;
}

/**
 * The environment Gatehouse reads its settings from: the process environment, overlaid with the
 * file named by GATEHOUSE_ENV_FILE when set. Read at every process start, so the workers of a
 * SIGHUP rolling restart pick up an edited file.
 */
export function environmentWithFile(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const file = env.GATEHOUSE_ENV_FILE;
  if (file === undefined || file === '') return { ...env };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new GatehouseError('config_invalid', 'GATEHOUSE_ENV_FILE cannot be read');
  }
  return { ...env, ...parseEnvFile(text) };
}
