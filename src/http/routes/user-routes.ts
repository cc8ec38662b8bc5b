import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../errors.js';
import type { User } from '../../store/store.js';
import { createUser } from '../../users/create-user.js';
import type { AppContext } from '../app-context.js';
import { limitByAddressAndUsername } from '../rate-limits.js';
import { requireStrings } from '../read-fields.js';
import { requireAccessToken } from '../require-access-token.js';

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

/**
 * The public view of a user, as JSON: never the hash or the custom claims' internals. Kept per
 * User object, which the store shares between requests while the row is unchanged (formatting
 * the dates alone cost ~5 µs a request).
 */
const userViews = new WeakMap<User, string>();

function userViewJson(user: User): string {
  let json = userViews.get(user);
  if (json === undefined) {
    json = JSON.stringify({
      id: user.id,
      username: user.username,
      is_active: user.isActive,
      last_login: isoOrNull(user.lastLogin),
      date_joined: isoOrNull(user.dateJoined),
    });
    userViews.set(user, json);
  }
  return json;
}

/** The protected "who am I" endpoint and self-registration. */
export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/me/', async (request, reply) => {
    const { user } = await requireAccessToken(ctx.sessions, request);
    return reply.type('application/json; charset=utf-8').send(userViewJson(user));
  });

  const registerLimit = limitByAddressAndUsername(app, ctx.config.loginRateLimit, 'register');
  app.post('/api/users/', { ...(registerLimit ? { preHandler: registerLimit } : {}) }, async (request, reply) => {
    if (!ctx.config.registration) throw new GatehouseError('registration_closed', 'Registration is closed on this server.');
    const { username, password } = requireStrings(request.body, ['username', 'password']);
    const user = await createUser(ctx.users, username, password);
    return reply.code(201).send({ id: user.id, username: user.username });
  });
}
