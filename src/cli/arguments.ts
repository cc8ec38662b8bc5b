import { GatehouseError } from '../errors.js';

export interface ParsedArguments {
  readonly positionals: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

/** `--name value`, `--name=value` and bare `--flag`; `booleanFlags` never take a value. */
export function parseArguments(argv: readonly string[], booleanFlags: ReadonlySet<string>): ParsedArguments {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (booleanFlags.has(name)) flags.set(name, true);
    else if (inline !== undefined) flags.set(name, inline);
    else {
      const value = argv[++i];
      if (value === undefined) throw new GatehouseError('invalid', `--${name} needs a value`);
      flags.set(name, value);
    }
  }
  return { positionals, flags };
}

/** A non-negative integer flag, or undefined when absent. */
export function integerFlag(args: ParsedArguments, name: string): number | undefined {
  const value = args.flags.get(name);
  if (value === undefined) return undefined;
  if (value === true || !/^\d{1,9}$/.test(value)) throw new GatehouseError('invalid', `--${name} must be a whole number`);
  return Number(value);
}
