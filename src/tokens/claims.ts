/** The two token types, named as simplejwt names them in the `token_type` claim. */
export type TokenType = 'access' | 'refresh';

/** The claims Gatehouse writes, as simplejwt writes them, plus `sub` and `sid` (the login). */
export interface TokenClaims {
  readonly token_type: TokenType;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly user_id: number;
  readonly sub: string;
  /** The refresh family (login session) this token belongs to. */
  readonly sid: string;
  readonly iss?: string;
  readonly aud?: string;
  readonly [extra: string]: unknown;
}

/** Claims that custom per-user claims may never override. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'token_type', 'exp', 'iat', 'nbf', 'jti', 'user_id', 'sub', 'sid', 'iss', 'aud',
]);

export interface ClaimsInput {
  readonly type: TokenType;
  readonly userId: number;
  readonly familyId: string;
  readonly jti: string;
  /** Epoch seconds. */
  readonly now: number;
  readonly lifetimeSeconds: number;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly custom?: Readonly<Record<string, unknown>>;
}

/**
 * The claim set of a new token. Custom claims go only into access tokens and never replace a
 * reserved claim.
 *
 * @example buildClaims({ type: 'access', userId: 1, familyId: 'f', jti: 'j', now: 0, lifetimeSeconds: 300 })
 */
export function buildClaims(input: ClaimsInput): TokenClaims {
  const extra: Record<string, unknown> = {};
  if (input.type === 'access' && input.custom) {
    for (const [name, value] of Object.entries(input.custom)) if (!RESERVED_CLAIMS.has(name)) extra[name] = value;
  }
  return {
    ...extra,
    token_type: input.type,
    exp: input.now + input.lifetimeSeconds,
    iat: input.now,
    jti: input.jti,
    user_id: input.userId,
    sub: String(input.userId),
    sid: input.familyId,
    ...(input.issuer === undefined ? {} : { iss: input.issuer }),
    ...(input.audience === undefined ? {} : { aud: input.audience }),
  };
}

/** simplejwt's jti: a uuid4 as 32 hex digits. */
export function newJti(randomUUID: () => string): string {
  return randomUUID().replaceAll('-', '');
}
