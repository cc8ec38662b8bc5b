import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../errors.js';
import { createUser } from '../../users/create-user.js';
import type { AppContext } from '../app-context.js';
import { clientInfo } from '../client-info.js';
import { limitByAddress } from '../rate-limits.js';
import type { Validated } from '../request-schema.js';
import { accessTokenCheck } from '../require-access-token.js';
import { userRouteSchemas, type REGISTER_BODY } from '../schemas/user-schemas.js';
import { ME_CONTENT_TYPE, userView } from '../user-view.js';

/** The protected "who am I" endpoint and self-registration. */
export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  const schemas = userRouteSchemas(ctx.config);
  const auth = accessTokenCheck(ctx.sessions);
  app.get('/api/me/', { schema: schemas.me, preValidation: auth.preValidation }, async (request, reply) => {
    return reply.type(ME_CONTENT_TYPE).send(userView(auth.of(request).user).json);
  });

  // The limit and whether sign-up is open come before the fields are read.
  const beforeRegister = [
    limitByAddress(app, ctx.config.signupRateLimit, 'signup'),
    async function registrationOpen(): Promise<void> {
      if (!ctx.config.registration) throw new GatehouseError('registration_closed', 'Registration is closed on this server.');
    },
  ].filter((hook) => hook !== undefined);
  app.post<{ Body: Validated<typeof REGISTER_BODY> }>('/api/users/', { schema: schemas.register, preValidation: beforeRegister }, async (request, reply) => {
    const { username, password } = request.body;
    const user = await createUser(ctx.users, username, password, { client: clientInfo(request) });
    return reply.code(201).send({ id: user.id, username: user.username });
  });
}
