import type { Config } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import { configuredSigningKey } from '../keys/load-key-ring.js';
import { keyState, rotateSigningKey } from '../keys/rotate-signing-key.js';
import type { ParsedArguments } from './arguments.js';
import { withStore } from './user-commands.js';

function iso(epochMs: number | null): string {
  return epochMs === null ? '-' : new Date(epochMs).toISOString();
}

/** `gatehouse keys list|rotate`. */
export async function keyCommand(config: Config, args: ParsedArguments, out: (line: string) => void): Promise<void> {
  const action = args.positionals[1];
  const now = Date.now();
  switch (action) {
    case 'list':
      return withStore(config, async (store) => {
        const configured = configuredSigningKey(config);
        const rows = (await store.listSigningKeys()).map((key) => ({
          kid: key.kid,
          algorithm: key.algorithm,
          state: configured === undefined ? keyState(key, now) : 'verify-only',
          created: iso(key.createdAt),
          signs_from: iso(key.activatesAt),
          signs_until: iso(key.deactivatedAt),
          retires: iso(key.retiresAt),
        }));
        if (configured !== undefined) {
          rows.unshift({ kid: configured.kid, algorithm: configured.algorithm, state: 'signing', created: '-', signs_from: '(GATEHOUSE_SIGNING_KEY)', signs_until: '-', retires: '-' });
        }
        if (args.flags.get('json') === true) {
          out(JSON.stringify(rows));
          return;
        }
        out(['KID', 'ALG', 'STATE', 'CREATED', 'SIGNS FROM', 'SIGNS UNTIL', 'RETIRES'].join('\t'));
        for (const row of rows) out(Object.values(row).join('\t'));
      });
    case 'rotate':
      return withStore(config, async (store) => {
        const key = await rotateSigningKey(store, config, now);
        out(`New key ${key.kid} is published now and signs from ${iso(key.activatesAt)}; the previous key stays published until its tokens expire.`);
      });
    default:
      throw new GatehouseError('invalid', 'usage: gatehouse keys list [--json] | gatehouse keys rotate');
  }
}
