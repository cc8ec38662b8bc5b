import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../errors.js';

function parseError(): GatehouseError {
  // DRF says "JSON parse error - <parser message>"; ours never quotes the body back.
  const detail = 'JSON parse error - Expecting a valid JSON document';
  return new GatehouseError('parse_error', detail, { body: { detail, code: 'parse_error' } });
}

/**
 * JSON and form-encoded bodies, as DRF accepts them. An empty body reads as `{}` (so missing
 * fields are reported field by field); anything else unparseable is a 400 `parse_error`.
 */
export async function registerBodyParsers(app: FastifyInstance): Promise<void> {
  // DRF refuses text/plain with 415; Fastify would otherwise hand routes a string.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = typeof text === 'string' ? text : text.toString('utf8');
    if (source.trim() === '') {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(source));
    } catch {
      done(parseError(), undefined);
    }
  });
  await app.register(formbody);
}
