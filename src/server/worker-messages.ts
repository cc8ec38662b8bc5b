/** primary → worker: stop accepting, finish in-flight requests, exit 0. */
export const DRAIN = 'gatehouse:drain';
/** worker → primary: "I have served my max requests; replace me". */
export const RECYCLE = 'gatehouse:recycle';

export function isSupervisorMessage(value: unknown, type: typeof DRAIN | typeof RECYCLE): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}
