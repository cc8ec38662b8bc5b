import { GatehouseError } from '../errors.js';
import { type Config, SCHEMA } from './schema.js';

/**
 * Parses the environment against {@link SCHEMA} once, at start. A bad value stops the start with
 * an error naming every bad variable, never its value.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const values: Record<string, unknown> = {};
  const bad: string[] = [];
  for (const [key, setting] of Object.entries(SCHEMA)) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') {
      values[key] = setting.unset;
      continue;
    }
    const parsed: unknown = (setting.parse as (t: string) => unknown)(raw);
    if (parsed === undefined) bad.push(setting.env);
    else values[key] = parsed;
  }
  if (bad.length > 0) {
    throw new GatehouseError('config_invalid', `Invalid setting${bad.length > 1 ? 's' : ''}: ${bad.join(', ')} (see example.env)`);
  }
  return Object.freeze(values) as Config;
}

/** The same schema, with overrides on top of the defaults: for tests and embedding. */
export function configWith(overrides: Partial<Config>): Config {
  return Object.freeze({ ...loadConfig({}), ...overrides });
}
