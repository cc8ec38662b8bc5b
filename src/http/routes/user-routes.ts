import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../errors.js';
import { createUser } from '../../users/create-user.js';
import type { AppContext } from '../app-context.js';
import { clientInfo } from '../client-info.js';
import { limitByAddress } from '../rate-limits.js';
import { requireStrings } from '../read-fields.js';
import { requireAccessToken } from '../require-access-token.js';
import { ME_CONTENT_TYPE, userView } from '../user-view.js';

/** The protected "who am I" endpoint and self-registration. */
export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/me/', async (request, reply) => {
    const { user } = await requireAccessToken(ctx.sessions, request);
    return reply.type(ME_CONTENT_TYPE).send(userView(user).json);
  });

  const registerLimit = limitByAddress(app, ctx.config.signupRateLimit, 'signup');
  app.post('/api/users/', { ...(registerLimit ? { preHandler: registerLimit } : {}) }, async (request, reply) => {
    if (!ctx.config.registration) throw new GatehouseError('registration_closed', 'Registration is closed on this server.');
    const { username, password } = requireStrings(request.body, ['username', 'password']);
    const user = await createUser(ctx.users, username, password, { client: clientInfo(request) });
    return reply.code(201).send({ id: user.id, username: user.username });
  });
}
