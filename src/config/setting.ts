import { parseDuration, parseMilliseconds } from './duration.js';

/** One environment variable: its name, what it means, its default, and how to parse it. */
export interface Setting<T> {
  readonly env: string;
  readonly doc: string;
  /** The default as it would be written in the environment; `undefined` = unset. */
  readonly fallback: string | undefined;
  /** A secret's value is never printed, even in example.env. */
  readonly secret: boolean;
  /** Returns the parsed value, or `undefined` when the text is not acceptable. */
  readonly parse: (text: string) => T | undefined;
  /** The value when the variable is unset and there is no fallback. */
  readonly unset: T;
}

type Extra = { secret?: boolean };

function setting<T>(env: string, fallback: string | undefined, doc: string, parse: (text: string) => T | undefined, unset: T, extra: Extra = {}): Setting<T> {
  return { env, fallback, doc, parse, unset, secret: extra.secret ?? false };
}

export function text(env: string, fallback: string, doc: string, extra?: Extra): Setting<string> {
  return setting(env, fallback, doc, (t) => t, fallback, extra);
}

export function optionalText(env: string, doc: string, extra?: Extra): Setting<string | undefined> {
  return setting<string | undefined>(env, undefined, doc, (t) => (t === '' ? undefined : t), undefined, extra);
}

export function oneOf<const T extends string>(env: string, fallback: T, values: readonly T[], doc: string): Setting<T> {
  return setting(env, fallback, `${doc} One of: ${values.join(', ')}.`, (t) => values.find((v) => v === t), fallback);
}

export function integer(env: string, fallback: number, min: number, max: number, doc: string): Setting<number> {
  return setting(
    env,
    String(fallback),
    doc,
    (t) => {
      if (!/^\d{1,15}$/.test(t.trim())) return undefined;
      const n = Number(t);
      return n >= min && n <= max ? n : undefined;
    },
    fallback,
  );
}

/** Seconds; accepts `300`, `45s`, `5m`, `24h`, `7d`. */
export function duration(env: string, fallback: string, min: number, doc: string): Setting<number> {
  const parse = (t: string) => {
    const s = parseDuration(t);
    return s !== undefined && s >= min ? s : undefined;
  };
  return setting(env, fallback, `${doc} Duration: 300, 45s, 5m, 24h or 7d.`, parse, parse(fallback) ?? min);
}

/** Milliseconds; accepts `250ms`, `2s`, `1m` (a plain number is seconds, as for {@link duration}). */
export function milliseconds(env: string, fallback: string, min: number, max: number, doc: string): Setting<number> {
  const parse = (t: string) => {
    const ms = parseMilliseconds(t);
    return ms !== undefined && ms >= min && ms <= max ? ms : undefined;
  };
  return setting(env, fallback, `${doc} Duration: 250ms, 2s or 1m.`, parse, parse(fallback) ?? min);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function flag(env: string, fallback: boolean, doc: string): Setting<boolean> {
  const parse = (t: string) => {
    const v = t.trim().toLowerCase();
    return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
  };
  return setting(env, fallback ? 'on' : 'off', `${doc} on/off.`, parse, fallback);
}

/** Comma-separated list; empty items are dropped. */
export function list(env: string, fallback: string, doc: string, extra?: Extra): Setting<readonly string[]> {
  const parse = (t: string) => Object.freeze(t.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  return setting(env, fallback, doc, parse, parse(fallback), extra);
}

/** `N/duration`, e.g. `10/1m`; `0` (or `off`) disables: then `max` is 0. */
export interface RateLimit {
  readonly max: number;
  readonly windowSeconds: number;
}

export function rateLimit(env: string, fallback: string, doc: string): Setting<RateLimit> {
  const parse = (t: string): RateLimit | undefined => {
    const v = t.trim().toLowerCase();
    if (v === '0' || v === 'off') return Object.freeze({ max: 0, windowSeconds: 0 });
    const [count, window] = v.split('/');
    if (count === undefined || window === undefined || !/^\d{1,9}$/.test(count)) return undefined;
    const windowSeconds = parseDuration(window);
    const max = Number(count);
    return windowSeconds && max > 0 ? Object.freeze({ max, windowSeconds }) : undefined;
  };
  return setting(env, fallback, `${doc} Written N/duration (e.g. 10/1m); 0 disables.`, parse, parse(fallback) ?? { max: 0, windowSeconds: 0 });
}
