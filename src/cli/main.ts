#!/usr/bin/env node
import { environmentWithFile } from '../config/env-file.js';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { isGatehouseError } from '../errors.js';
import { prepare } from '../runtime.js';
import { dev } from '../server/dev.js';
import { serve } from '../server/serve.js';
import { integerFlag, parseArguments, type ParsedArguments } from './arguments.js';
import { configExample } from './config-example.js';
import { auditCommand } from './audit-command.js';
import { keyCommand } from './key-commands.js';
import { userCommand, withStore } from './user-commands.js';

const USAGE = `Gatehouse: username + password for JWT access and refresh tokens.

Usage: gatehouse <command>
  serve [--workers N] [--max-requests N] [--max-requests-jitter N] [--host H] [--port P]
                                 production server (what npm start runs)
  dev                            development server with reload (not for production)
  migrate                        apply database migrations and make sure a signing key exists
  users add <name> [--password-stdin] [--admin]
  users set-password <name> [--password-stdin]
  users deactivate|activate <name>
  users admin <name> on|off      grant or revoke the admin API
  users list [--json]
  users claims <name> '<json object>'   custom claims for the user's access tokens (e.g. roles)
  users import <dumpdata.json>   import users from Django's 'manage.py dumpdata auth.user'
  keys list [--json]             signing keys with their state and dates
  keys rotate                    publish a new key now; it signs after GATEHOUSE_KEY_PREPUBLISH
  tokens flush-expired           delete expired refresh tokens (simplejwt's flushexpiredtokens)
  audit [--user NAME] [--event EVENT] [--since DURATION] [--limit N] [--json]
                                 the audit trail, newest first (e.g. --since 24h)
  config example                 print every setting (example.env)

Settings come from GATEHOUSE_* environment variables (see example.env).`;

const BOOLEAN_FLAGS = new Set(['password-stdin', 'json', 'help', 'admin']);

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Command-line flags override the environment for `serve`. */
function serveConfig(config: Config, args: ParsedArguments): Config {
  const host = args.flags.get('host');
  return Object.freeze({
    ...config,
    ...(typeof host === 'string' ? { host } : {}),
    ...(integerFlag(args, 'port') === undefined ? {} : { port: integerFlag(args, 'port') as number }),
    ...(integerFlag(args, 'workers') === undefined ? {} : { workers: Math.max(1, integerFlag(args, 'workers') as number) }),
    ...(integerFlag(args, 'max-requests') === undefined ? {} : { maxRequests: integerFlag(args, 'max-requests') as number }),
    ...(integerFlag(args, 'max-requests-jitter') === undefined ? {} : { maxRequestsJitter: integerFlag(args, 'max-requests-jitter') as number }),
  });
}

async function run(argv: readonly string[]): Promise<void> {
  const args = parseArguments(argv, BOOLEAN_FLAGS);
  const [command, action] = args.positionals;
  if (command === undefined || command === 'help' || args.flags.has('help')) {
    out(USAGE);
    return;
  }
  if (command === 'config' && action === 'example') {
    out(configExample());
    return;
  }
  const config = loadConfig(environmentWithFile(process.env));
  switch (command) {
    case 'serve':
      return serve(serveConfig(config, args));
    case 'dev':
      return dev(serveConfig(config, args));
    case 'migrate':
      await prepare(config);
      out('Migrations applied; signing key ready.');
      return;
    case 'users':
      return userCommand(config, args, out);
    case 'keys':
      return keyCommand(config, args, out);
    case 'audit':
      return auditCommand(config, args, out);
    case 'tokens':
      if (action !== 'flush-expired') break;
      return withStore(config, async (store) => out(`Deleted ${await store.flushExpired(Date.now())} expired refresh tokens.`));
  }
  process.stderr.write(`${USAGE}\n`);
  process.exitCode = 2;
}

run(process.argv.slice(2)).catch((error: unknown) => {
  // Only our own messages are printed: they never hold a secret or a setting's value.
  const code = typeof error === 'object' && error !== null && 'code' in error ? ` (${String(error.code)})` : '';
  process.stderr.write(`gatehouse: ${isGatehouseError(error) ? error.message : `unexpected failure${code}`}\n`);
  process.exitCode = 1;
});
