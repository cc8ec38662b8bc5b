/** "Access token expires in 2.4 s" / "in 4:59" / "expired", for the live countdown. */
export function formatCountdown(expSeconds: number | undefined, nowMs: number): string {
  if (expSeconds === undefined) return 'The access token has no expiry.';
  const left = expSeconds - nowMs / 1000;
  if (left <= 0) return 'The access token has expired.';
  if (left < 60) return `Access token expires in ${left.toFixed(1)} s`;
  const minutes = Math.floor(left / 60);
  const seconds = Math.floor(left % 60).toString().padStart(2, '0');
  return `Access token expires in ${minutes}:${seconds}`;
}
