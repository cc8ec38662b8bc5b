import { GatehouseError } from '../errors.js';
import { environmentWithFile } from './env-file.js';
import { loadConfig } from './load-config.js';
import { parsePublicUrl } from './public-url.js';
import type { Config } from './schema.js';

const MIN_KEY_ENCRYPTION_KEY = 32;

/**
 * Settings that parse but would be unsafe to serve with; each problem names the setting to
 * change, never its value. (Weak signing keys are refused where keys are loaded.)
 */
export function unsafeSettings(config: Config): string[] {
  const problems: string[] = [];
  if (config.keyEncryptionKey !== undefined && config.keyEncryptionKey.length < MIN_KEY_ENCRYPTION_KEY) {
    problems.push(`GATEHOUSE_KEY_ENCRYPTION_KEY must be at least ${MIN_KEY_ENCRYPTION_KEY} characters`);
  }
  if (config.corsOrigins.some((origin) => origin === '*' || !/^https?:\/\/[^/]+$/.test(origin))) {
    problems.push('GATEHOUSE_CORS_ORIGINS must list exact origins like https://app.example.com (no *, no paths): credentials are allowed for them');
  }
  if (config.introspectionClients.some((entry) => !/^[^:]+:.{16,}$/.test(entry))) {
    problems.push('GATEHOUSE_INTROSPECTION_CLIENTS entries must be client_id:secret with a secret of at least 16 characters');
  }
  if (config.trustedProxies.some((proxy) => proxy === '0.0.0.0/0' || proxy === '::/0' || proxy === '*')) {
    problems.push('GATEHOUSE_TRUSTED_PROXIES must not trust every address: list your proxies');
  }
  if (config.publicUrl !== undefined && parsePublicUrl(config.publicUrl) === undefined) {
    problems.push('GATEHOUSE_PUBLIC_URL must be an absolute http(s) URL without credentials, query or fragment');
  }
  return problems;
}

/** Throws `config_invalid` listing every unsafe setting. */
export function refuseUnsafeSettings(config: Config): void {
  const problems = unsafeSettings(config);
  if (problems.length > 0) throw new GatehouseError('config_invalid', `Unsafe settings: ${problems.join('; ')}.`);
}

/**
 * The settings a serving process would start with now: the environment overlaid with
 * GATEHOUSE_ENV_FILE (read afresh), parsed and checked by {@link refuseUnsafeSettings}. Every
 * start, reload, respawn and recycle goes through it. Throws `config_invalid` naming settings,
 * never their values.
 *
 * @example
 * const config = loadServingConfig(process.env);
 */
export function loadServingConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const config = loadConfig(environmentWithFile(env));
  refuseUnsafeSettings(config);
  return config;
}
