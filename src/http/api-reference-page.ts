import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The reference page loads only its own files and the document: it must work without internet
 * access, and a page that renders the API description has no business talking to anyone else.
 * Swagger UI needs no inline script or style element; its stylesheet draws icons as data: images.
 * (The plugin's own `staticCSP: true` would allow fonts and styles from any https: origin.)
 */
const REFERENCE_PAGE_CSP: Readonly<Record<string, string>> = {
  'default-src': "'self'",
  'img-src': "'self' data:",
  'object-src': "'none'",
  'script-src-attr': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
};

/**
 * `GET /openapi.json`, the canonical document, and the reference page at `/docs` (Swagger UI,
 * served from the installed package with the CSP above on every `/docs` response).
 */
export async function serveApiDocs(app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: { title: 'Gatehouse API' },
    // BaseLayout: the reference of this one API, without Swagger UI's top bar (a box to load any
    // other document by URL, and a logo that is not ours).
    uiConfig: { layout: 'BaseLayout', deepLinking: true, tryItOutEnabled: false },
    // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
    validatorUrl: false,
    staticCSP: REFERENCE_PAGE_CSP,
  });
}
