import type { FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../errors.js';
import { authenticateAccessToken, type Authenticated } from '../sessions/authenticate-access-token.js';
import type { SessionContext } from '../sessions/session-context.js';
import { bearerToken } from './bearer-token.js';
import { checkedFirst, type CheckedFirst } from './checked-first.js';

const NOT_VALID = 'Given token not valid for any token type';

/**
 * Authenticates a request by its Bearer access token, answering failures in simplejwt's
 * `JWTAuthentication` shape (`messages` names the token class that refused it).
 */
export async function requireAccessToken(ctx: SessionContext, request: FastifyRequest): Promise<Authenticated> {
  const token = bearerToken(request.headers.authorization);
  try {
    return await authenticateAccessToken(ctx, token);
  } catch (error) {
    if (!isGatehouseError(error) || error.code !== 'token_not_valid') throw error;
    throw new GatehouseError('token_not_valid', NOT_VALID, {
      body: {
        detail: NOT_VALID,
        code: 'token_not_valid',
        messages: [{ token_class: 'AccessToken', token_type: 'access', message: error.message }],
      },
    });
  }
}

/**
 * The caller's access token, checked before the body or query string is read; the handler gets
 * the caller from `.of(request)`.
 *
 * @example
 * const auth = accessTokenCheck(sessions);
 * app.post('/api/users/set_password/', { preValidation: auth.preValidation, schema }, async (request) => auth.of(request).user);
 */
export function accessTokenCheck(ctx: SessionContext): CheckedFirst<Authenticated> {
  return checkedFirst('checkAccessToken', (request) => requireAccessToken(ctx, request));
}
