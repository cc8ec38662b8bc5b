import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.js';
import { ADMIN_SCHEMAS } from './admin-schemas.js';
import { ERROR_SCHEMAS } from './errors.js';
import { HEALTH_SCHEMAS } from './health-schemas.js';
import { OAUTH_SCHEMAS } from './oauth-schemas.js';
import { SESSION_SCHEMAS } from './session-schemas.js';
import { tokenSharedSchemas } from './token-schemas.js';
import { USER_SCHEMAS } from './user-schemas.js';

/**
 * Declares the bodies several routes share, once each (`ref('Error')` points at them): Fastify
 * serialises with them and the API description lists them under components/schemas. Before the
 * routes.
 */
export function registerSharedSchemas(app: FastifyInstance, config: Config): void {
  for (const schema of [...ERROR_SCHEMAS, ...tokenSharedSchemas(config), ...USER_SCHEMAS, ...SESSION_SCHEMAS, ...ADMIN_SCHEMAS, ...HEALTH_SCHEMAS, ...OAUTH_SCHEMAS]) {
    app.addSchema(schema);
  }
}
