import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { publicBaseUrl } from '../config/public-url.js';
import type { Config } from '../config/schema.js';
import { GatehouseError } from '../errors.js';
import { fieldRequired } from './drf-validator.js';
import type { Validated } from './request-schema.js';
import type { refreshBody } from './schemas/token-schemas.js';

export const REFRESH_COOKIE = 'gatehouse_refresh';
/** Cookie mode's CSRF guard: browsers only send a custom header from scripts the CORS rules allow. */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'gatehouse';
/** The cookie goes only to the endpoints that take a refresh token. */
const COOKIE_PATHS = ['/api/token/refresh', '/api/token/blacklist'] as const;

/** Sets (or, with `token` undefined, clears) the refresh cookie on its two paths. */
export function setRefreshCookie(reply: FastifyReply, token: string | undefined, maxAgeSeconds: number): void {
  for (const path of COOKIE_PATHS) {
    void reply.setCookie(REFRESH_COOKIE, token ?? '', {
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
      path,
      maxAge: token === undefined ? 0 : maxAgeSeconds,
    });
  }
}

function checkCsrf(request: FastifyRequest, config: Config): void {
  if (request.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE) {
    throw new GatehouseError('csrf_failed', `CSRF check failed: send the header X-Requested-With: ${CSRF_HEADER_VALUE}.`);
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  // Our own origin from settings, else the Host header itself: never X-Forwarded-Host, which
  // Fastify's request.host believes from a trusted proxy that may pass on a client's.
  const configured = publicBaseUrl(config);
  const own = configured === undefined ? `${request.protocol}://${request.headers.host ?? ''}` : new URL(configured).origin;
  const sameOrigin = origin === own;
  if (!sameOrigin && !config.corsOrigins.includes(origin)) throw new GatehouseError('csrf_failed', 'CSRF check failed: origin not allowed.');
}

/**
 * Cookie mode's guard on login, whose answer sets the refresh cookie: without it a cross-site
 * form could sign the victim's browser in to the attacker's account (login CSRF). 403
 * `csrf_failed` as for refresh and logout, before the fields are read; none outside cookie mode.
 */
export function loginCsrfCheck(config: Config): preValidationAsyncHookHandler | undefined {
  if (!config.refreshCookie) return undefined;
  return async function checkLoginCsrf(request) {
    checkCsrf(request, config);
  };
}

/** The body of refresh and blacklist, as validated: `refresh` is optional in cookie mode only. */
export type RefreshBody = Validated<ReturnType<typeof refreshBody>>;

/**
 * The refresh token of a request: from the body's `refresh` field, or in cookie mode from the
 * cookie (then the request must pass the CSRF check). Without either, DRF's "required" error.
 */
export function refreshTokenOf(request: FastifyRequest<{ Body: RefreshBody }>, config: Config): string {
  const fromBody = request.body.refresh;
  if (fromBody !== undefined) return fromBody;
  const fromCookie = config.refreshCookie ? request.cookies[REFRESH_COOKIE] : undefined;
  if (fromCookie === undefined || fromCookie === '') throw fieldRequired('refresh');
  checkCsrf(request, config);
  return fromCookie;
}
