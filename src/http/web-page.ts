import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built demo page (`npm run build` writes it); nginx serves the same files in production. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** Serves the demo page at `/`; hashed assets are cached for a year, the page itself revalidated. */
export async function serveWebPage(app: FastifyInstance, webDir: string | undefined): Promise<void> {
  const root = webDir ?? DEFAULT_WEB_DIR;
  if (!existsSync(root)) return;
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    setHeaders: (response, filePath) => {
      const hashed = filePath.includes('/assets/');
      response.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
