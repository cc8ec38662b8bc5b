const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/**
 * When a session was last used, for people: "just now", "5 minutes ago", "3 hours ago",
 * "yesterday"; older than a week, the local date. A time slightly ahead of `nowMs` (clock skew
 * between server and browser) reads "just now".
 *
 * @example formatLastUsed('2026-01-01T11:55:00Z', Date.UTC(2026, 0, 1, 12)) // '5 minutes ago'
 */
export function formatLastUsed(iso: string, nowMs: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'at an unknown time';
  const seconds = (nowMs - then) / 1000;
  if (seconds < MINUTE) return 'just now';
  if (seconds < HOUR) return relative.format(-Math.floor(seconds / MINUTE), 'minute');
  if (seconds < DAY) return relative.format(-Math.floor(seconds / HOUR), 'hour');
  if (seconds < 7 * DAY) return relative.format(-Math.floor(seconds / DAY), 'day');
  return `on ${new Date(then).toLocaleDateString(undefined, { dateStyle: 'medium' })}`;
}
