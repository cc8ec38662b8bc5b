import type { Config } from '../../config/schema.js';
import type { FieldsSchema } from '../request-schema.js';
import { BODYLESS_ERRORS, errorResponse, FIELD_ERRORS, tooManyRequests, UNAUTHORIZED, unauthorized } from './errors.js';
import { BEARER, CONSUMES, json, ref, type ResponseSchema } from './parts.js';

const ACCESS = { type: 'string', description: 'An access token (a JWT) for `Authorization: Bearer …`.' } as const;
const REFRESH = { type: 'string', description: 'A refresh token (a JWT), for /api/token/refresh/ and /api/token/blacklist/.' } as const;
const EXAMPLE_ACCESS = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Ii4uLiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl';
const EXAMPLE_REFRESH = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Ii4uLiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl';
const EMPTY = { type: 'object', additionalProperties: false, properties: {} } as const;

export const LOGIN_BODY = {
  type: 'object',
  properties: {
    username: { type: 'string', description: 'Compared after Unicode NFKC normalisation, as Django does.' },
    password: { type: 'string' },
  },
  required: ['username', 'password'],
  examples: [{ username: 'alice', password: 'correct horse battery' }],
} as const satisfies FieldsSchema;

const REFRESH_BODY = {
  type: 'object',
  properties: { refresh: { type: 'string', description: 'The refresh token.' } },
  required: ['refresh'],
  examples: [{ refresh: EXAMPLE_REFRESH }],
} as const satisfies FieldsSchema;

/** Cookie mode: the token may come from the `gatehouse_refresh` cookie instead. */
const COOKIE_REFRESH_BODY = {
  type: 'object',
  properties: {
    refresh: {
      type: 'string',
      description:
        'The refresh token. Cookie mode (GATEHOUSE_REFRESH_COOKIE=on): leave it out to use the `gatehouse_refresh` cookie, which needs the header `X-Requested-With: gatehouse`.',
    },
  },
  examples: [{}],
} as const satisfies FieldsSchema;

export const VERIFY_BODY = {
  type: 'object',
  properties: { token: { type: 'string', description: 'An access or a refresh token.' } },
  required: ['token'],
  examples: [{ token: EXAMPLE_ACCESS }],
} as const satisfies FieldsSchema;

/** The body of refresh and blacklist: `refresh` may be absent only in cookie mode. */
export function refreshBody(config: Config): typeof COOKIE_REFRESH_BODY | typeof REFRESH_BODY {
  return config.refreshCookie ? COOKIE_REFRESH_BODY : REFRESH_BODY;
}

const REFRESH_COOKIE = 'gatehouse_refresh=…; Max-Age=…; Path=/api/token/refresh; HttpOnly; Secure; SameSite=Strict, and the same for Path=/api/token/blacklist';

/** simplejwt's bodies in simplejwt's key order; cookie mode keeps the refresh token out of them. */
export function tokenSharedSchemas(config: Config): readonly object[] {
  const inCookie = 'Cookie mode (GATEHOUSE_REFRESH_COOKIE=on): the refresh token is in the `gatehouse_refresh` cookie, not here.';
  const rotates = config.rotateRefreshTokens && !config.refreshCookie;
  return [
    {
      $id: 'TokenPair',
      type: 'object',
      description: config.refreshCookie ? `A new access token. ${inCookie}` : 'A new refresh and access token, in this order (simplejwt\'s).',
      required: config.refreshCookie ? ['access'] : ['refresh', 'access'],
      additionalProperties: false,
      properties: config.refreshCookie ? { access: ACCESS } : { refresh: REFRESH, access: ACCESS },
    },
    {
      $id: 'RefreshedTokens',
      type: 'object',
      description: rotates
        ? 'A new access token and the successor refresh token (rotation: the one presented is spent).'
        : config.refreshCookie
          ? `A new access token. ${inCookie}`
          : 'A new access token; the refresh token stays valid (GATEHOUSE_ROTATE_REFRESH_TOKENS=off).',
      required: rotates ? ['access', 'refresh'] : ['access'],
      additionalProperties: false,
      properties: rotates ? { access: ACCESS, refresh: REFRESH } : { access: ACCESS },
    },
  ];
}

/** `Set-Cookie` of an answer that sets or clears the refresh cookie (cookie mode only). */
function refreshCookieHeader(config: Config, what: string): ResponseSchema['headers'] {
  return config.refreshCookie ? { 'Set-Cookie': { type: 'string', description: `${what}: ${REFRESH_COOKIE}.` } } : undefined;
}

function withHeaders(response: ResponseSchema, headers: ResponseSchema['headers']): ResponseSchema {
  return headers === undefined ? response : { ...response, headers };
}

const CSRF_FAILED = errorResponse(
  'Cookie mode: the header `X-Requested-With: gatehouse` is missing, or the Origin is neither this server nor in GATEHOUSE_CORS_ORIGINS (`csrf_failed`).',
  { detail: 'CSRF check failed: send the header X-Requested-With: gatehouse.', code: 'csrf_failed' },
);
const TOKEN_NOT_VALID = unauthorized('The token is not valid: expired, blacklisted or of the wrong type (`token_not_valid`), or its user is gone or inactive (`no_active_account`).', {
  detail: 'Token is invalid or expired',
  code: 'token_not_valid',
});

/** The route schemas of simplejwt's token endpoints and logout-everywhere, for this server's settings. */
export function tokenRouteSchemas(config: Config) {
  const cookieOnly = config.refreshCookie ? { 403: CSRF_FAILED } : {};
  const loginLimited = [config.loginRateLimit, config.loginAccountLimit, config.loginAddressLimit].some((limit) => limit.max > 0);
  const deviceCookie = config.loginAccountLimit.max > 0 ? 'gatehouse_device=…; Path=/api/token/; HttpOnly; SameSite=Lax (this browser is known for the account, so exempt from its backoff)' : undefined;
  const loginCookies = [config.refreshCookie ? REFRESH_COOKIE : undefined, deviceCookie].filter((cookie) => cookie !== undefined);
  const body = refreshBody(config);
  return {
    login: {
      summary: 'Log in: a new access and refresh token',
      description:
        "simplejwt's TokenObtainPairView. Every failure (unknown user, wrong password, inactive account) gets the same 401 after the same work." +
        (config.refreshCookie ? ' Cookie mode: needs `X-Requested-With: gatehouse`; the refresh token is set as a cookie.' : ''),
      tags: ['tokens'],
      operationId: 'obtainTokenPair',
      consumes: CONSUMES,
      body: LOGIN_BODY,
      response: {
        200: withHeaders(
          { description: 'Logged in.', content: json(ref('TokenPair'), config.refreshCookie ? { access: EXAMPLE_ACCESS } : { refresh: EXAMPLE_REFRESH, access: EXAMPLE_ACCESS }) },
          loginCookies.length === 0 ? undefined : { 'Set-Cookie': { type: 'string', description: loginCookies.join('; and ') } },
        ),
        ...FIELD_ERRORS,
        401: unauthorized('No active account with these credentials (`no_active_account`; the body has `detail` only, as simplejwt\'s).', {
          detail: 'No active account found with the given credentials',
        }),
        ...cookieOnly,
        ...(loginLimited
          ? { 429: tooManyRequests('Too many attempts from this address for this username, too many failures from this address, or this account must wait after repeated failures (`rate_limited`).') }
          : {}),
      },
    },
    refresh: {
      summary: 'Refresh: a new access token (and, with rotation, a new refresh token)',
      description:
        "simplejwt's TokenRefreshView. With rotation (the default) the presented refresh token is spent; presenting a spent one again revokes its whole login (reuse detection).",
      tags: ['tokens'],
      operationId: 'refreshToken',
      consumes: CONSUMES,
      body,
      response: {
        200: withHeaders(
          { description: 'Refreshed.', content: json(ref('RefreshedTokens'), config.rotateRefreshTokens && !config.refreshCookie ? { access: EXAMPLE_ACCESS, refresh: EXAMPLE_REFRESH } : { access: EXAMPLE_ACCESS }) },
          refreshCookieHeader(config, 'The successor refresh token'),
        ),
        ...FIELD_ERRORS,
        401: TOKEN_NOT_VALID,
        ...cookieOnly,
      },
    },
    verify: {
      summary: 'Verify a token',
      description: "simplejwt's TokenVerifyView: 200 `{}` when the access or refresh token is valid and its login live.",
      tags: ['tokens'],
      operationId: 'verifyToken',
      consumes: CONSUMES,
      body: VERIFY_BODY,
      response: { 200: { description: 'The token is valid.', content: json(EMPTY, {}) }, ...FIELD_ERRORS, 401: TOKEN_NOT_VALID },
    },
    blacklist: {
      summary: 'Log out: blacklist a refresh token',
      description: "simplejwt's TokenBlacklistView: ends the login; its access tokens stop working too.",
      tags: ['tokens'],
      operationId: 'blacklistToken',
      consumes: CONSUMES,
      body,
      response: {
        200: withHeaders({ description: 'Logged out.', content: json(EMPTY, {}) }, refreshCookieHeader(config, 'Clears the refresh cookie (Max-Age=0)')),
        ...FIELD_ERRORS,
        401: TOKEN_NOT_VALID,
        ...cookieOnly,
      },
    },
    logoutAll: {
      summary: 'Log out everywhere',
      description: "Ends every login of the caller's account.",
      tags: ['tokens'],
      operationId: 'logoutAll',
      security: BEARER,
      response: {
        200: withHeaders({ description: 'Every login ended.', content: json(EMPTY, {}) }, refreshCookieHeader(config, 'Clears the refresh cookie (Max-Age=0)')),
        ...BODYLESS_ERRORS,
        401: UNAUTHORIZED,
      },
    },
  };
}
