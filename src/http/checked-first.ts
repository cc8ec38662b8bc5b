import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';

/** A check that runs before the request's fields are read, and what it found. */
export interface CheckedFirst<T> {
  /** The route's `preValidation` hook. */
  readonly preValidation: preValidationAsyncHookHandler;
  /** What the check found for this request (in the handler). */
  of(request: FastifyRequest): T;
}

/**
 * A check run as a `preValidation` hook, so before the body and query string are validated (DRF
 * authenticates and checks permissions before its serializer runs: a stranger gets 401, never
 * field errors), whose result the handler reads back. `name` names the hook (the tests find the
 * routes that need a token by it).
 *
 * @example
 * const auth = checkedFirst('checkAccessToken', (request) => requireAccessToken(sessions, request));
 * app.get('/api/me/', { preValidation: auth.preValidation }, async (request) => auth.of(request).user);
 */
export function checkedFirst<T>(name: string, check: (request: FastifyRequest) => Promise<T>): CheckedFirst<T> {
  const results = new WeakMap<FastifyRequest, T>();
  const preValidation: preValidationAsyncHookHandler = async (request) => {
    results.set(request, await check(request));
  };
  Object.defineProperty(preValidation, 'name', { value: name });
  return {
    preValidation,
    of(request) {
      if (!results.has(request)) throw new Error(`${request.routeOptions.url ?? 'this route'} has no ${name} hook`);
      return results.get(request) as T;
    },
  };
}
