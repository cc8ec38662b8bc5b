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
