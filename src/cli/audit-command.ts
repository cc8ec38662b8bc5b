import { isAuditEventName } from '../audit/audit-event-names.js';
import { auditEventJson } from '../audit/audit-event-json.js';
import { parseDuration } from '../config/duration.js';
import type { Config } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import { integerFlag, type ParsedArguments } from './arguments.js';
import { withStore } from './user-commands.js';

const DEFAULT_LIMIT = 100;

function textFlag(args: ParsedArguments, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** `gatehouse audit [--user NAME] [--event EVENT] [--since DURATION] [--limit N] [--json]`. */
export async function auditCommand(config: Config, args: ParsedArguments, out: (line: string) => void): Promise<void> {
  const sinceText = textFlag(args, 'since');
  const since = sinceText === undefined ? undefined : parseDuration(sinceText);
  if (sinceText !== undefined && since === undefined) throw new GatehouseError('invalid', '--since takes a duration: 300, 45s, 5m, 24h or 7d');
  const event = textFlag(args, 'event');
  if (event !== undefined && !isAuditEventName(event)) throw new GatehouseError('invalid', 'unknown --event (see docs/admin-and-audit.md for the events)');
  const username = textFlag(args, 'user');
  return withStore(config, async (store) => {
    let userId: number | undefined;
    if (username !== undefined) {
      const user = await store.findUserByUsername(username);
      if (user === undefined) throw new GatehouseError('user_not_found', 'No such user.');
      userId = user.id;
    }
    const events = await store.listAuditEvents({
      ...(userId === undefined ? {} : { userId }),
      ...(event === undefined ? {} : { event }),
      ...(since === undefined ? {} : { since: Date.now() - since * 1000 }),
      limit: integerFlag(args, 'limit') ?? DEFAULT_LIMIT,
    });
    if (args.flags.get('json') === true) {
      out(JSON.stringify(events.map(auditEventJson)));
      return;
    }
    out(['TIME', 'EVENT', 'USER', 'SESSION', 'ADDRESS', 'BY', 'REASON'].join('\t'));
    for (const e of events) {
      out([new Date(e.at).toISOString(), e.event, e.username ?? e.userId ?? '-', e.sessionId ?? '-', e.ip ?? '-', e.actorUsername ?? '-', e.reason ?? '-'].join('\t'));
    }
  });
}
