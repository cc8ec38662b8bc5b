import { CompiledQuery } from 'kysely';
import type { Compilable } from 'kysely';

/**
 * Builds and compiles a kysely query once, then re-binds only its parameters per call. Kysely
 * spends ~25 µs building and compiling each query, several times the cost of running a point
 * lookup in SQLite; this is for the per-request hot path (authState, rotation).
 *
 * `sentinels` are placeholder arguments, distinct from each other and from any constant in the
 * query, used to find where each argument lands among the compiled parameters.
 *
 * @example
 * const findUser = precompiled((id: number) => db.selectFrom('users').selectAll().where('id', '=', id), [-7]);
 * const { rows } = await db.executeQuery(findUser(42));
 */
export function precompiled<A extends readonly unknown[], R>(
  build: (...args: A) => Compilable<R>,
  sentinels: A,
): (...args: A) => CompiledQuery<R> {
  if (new Set(sentinels).size !== sentinels.length) throw new Error('precompiled: sentinels must be distinct');
  const { sql, parameters } = build(...sentinels).compile();
  const slots = parameters.map((parameter) => sentinels.indexOf(parameter));
  for (let index = 0; index < sentinels.length; index += 1) {
    if (!slots.includes(index)) throw new Error('precompiled: an argument never reaches the query');
  }
  return (...args: A) =>
    CompiledQuery.raw(
      sql,
      slots.map((slot, position) => (slot === -1 ? parameters[position] : args[slot])),
    ) as CompiledQuery<R>;
}
