const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses `300`, `45s`, `5m`, `24h`, `7d` into whole seconds; `undefined` when malformed.
 *
 * @example parseDuration('5m') // 300
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2] === '' ? 1 : UNIT_SECONDS[match[2] ?? 's'];
  return unit === undefined ? undefined : amount * unit;
}

/**
 * Parses `250ms`, `2s`, `1m` (or a plain number of seconds) into whole milliseconds, for the
 * settings that need a finer grain than a second; `undefined` when malformed.
 *
 * @example parseMilliseconds('250ms') // 250
 */
export function parseMilliseconds(text: string): number | undefined {
  const match = /^(\d{1,9})ms$/.exec(text.trim());
  if (match) return Number(match[1]);
  const seconds = parseDuration(text);
  return seconds === undefined ? undefined : seconds * 1000;
}
