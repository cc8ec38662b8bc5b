import { ALGORITHM_SPECS, isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import type { BoundKey, KeySet } from './bind-keys.js';
import { hmacSegmentMatches, signatureHasValidShape, verifyWithJose, verifyWithNodeCrypto, type SignatureEngine } from './check-signature.js';
import { decodeBase64url, decodeBase64urlUtf8, isCanonicalBase64url } from './decode-base64url.js';
import { VerifyError } from './errors.js';
import { parseStrictJsonObject } from './parse-strict-json.js';

/** Header members that would let a token choose its own key or change how it is read. */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'b64', 'zip', 'enc'] as const;

/** A compact JWS that passed every check that does not need a key. */
export interface ParsedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: JwsAlgorithm;
  readonly kid: string | undefined;
  readonly token: string;
  /** Index of the second `.`: the signing input is `token.slice(0, signingInputEnd)`. */
  readonly signingInputEnd: number;
  readonly payloadSegment: string;
  /** The payload's text, or `undefined` when its bytes are not UTF-8 (a JWS need not be JSON). */
  readonly payloadText: string | undefined;
  /** Non-empty; its spelling is checked with the key's algorithm, by the signature checks. */
  readonly signatureSegment: string;
}

export interface ParseOptions {
  readonly maxTokenLength: number;
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
}

interface HeaderFacts {
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: JwsAlgorithm;
  readonly kid: string | undefined;
}

// Tokens from one issuer share a few header segments: remember the ones that passed every check
// (keyed by the exact segment text, per allow-list) so the hot path skips re-decoding them.
const MAX_REMEMBERED_HEADERS = 64;
const rememberedHeaders = new WeakMap<ReadonlySet<JwsAlgorithm>, Map<string, HeaderFacts>>();

function fail(code: VerifyError['code'], message: string): never {
  throw new VerifyError(code, message);
}

/**
 * Strict, key-independent checks of a compact JWS, cheapest first: size (before any decoding),
 * three segments, header and payload canonical base64url, a UTF-8 JSON object header without
 * duplicate members, an allowed `alg` (never `none` in any case), no key-carrying or unsupported
 * headers, a non-empty signature. The signature's spelling is checked with the key (see
 * {@link checkNodeSignature}): an HMAC's by exact comparison with the canonical MAC, which no
 * regex pass needs to precede.
 */
export function parseCompactJws(token: unknown, options: ParseOptions): ParsedJws {
  if (typeof token !== 'string' || token === '') fail('token_missing', 'no token');
  if (token.length > options.maxTokenLength) fail('token_too_large', 'token longer than the limit');
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
    fail('token_malformed', 'not a compact JWS (three dot-separated segments)');
  }
  const payloadSegment = token.slice(first + 1, second);
  const signatureSegment = token.slice(second + 1);
  // The payload is decoded here, before the signature, because decoding it is also its
  // canonical check; JSON is parsed only once the signature holds.
  const payloadText = decodeBase64urlUtf8(payloadSegment);
  if (payloadText === undefined && !isCanonicalBase64url(payloadSegment)) fail('token_malformed', 'segment is not canonical base64url');
  const facts = headerFacts(token, first, options.algorithms);
  if (signatureSegment === '') fail('signature_invalid', 'signature is empty');
  // Fields named one by one: an object spread here cost ~5 µs, more than an HMAC.
  return {
    header: facts.header,
    alg: facts.alg,
    kid: facts.kid,
    token,
    signingInputEnd: second,
    payloadSegment,
    payloadText,
    signatureSegment,
  };
}

// The header most recently seen, compared first: tokens from one issuer and key share it, and
// one comparison costs less than hashing the segment for the map.
let lastHeader: { readonly algorithms: ReadonlySet<JwsAlgorithm>; readonly segment: string; readonly facts: HeaderFacts } | undefined;

function headerFacts(token: string, end: number, algorithms: ReadonlySet<JwsAlgorithm>): HeaderFacts {
  const last = lastHeader;
  // A slice and `===`, not startsWith: startsWith measured ~0.2 µs slower here (6% of an HS256
  // check), and the header is public, so the comparison need not be constant-time.
  if (last !== undefined && last.algorithms === algorithms && last.segment.length === end && token.slice(0, end) === last.segment) {
    return last.facts;
  }
  const segment = token.slice(0, end);
  let remembered = rememberedHeaders.get(algorithms);
  if (remembered === undefined) {
    remembered = new Map();
    rememberedHeaders.set(algorithms, remembered);
  }
  let facts = remembered.get(segment);
  if (facts === undefined) {
    facts = checkHeader(segment, algorithms);
    if (remembered.size >= MAX_REMEMBERED_HEADERS) remembered.clear();
    remembered.set(segment, facts);
  }
  // Kept flat: a slice of the first token would make every later comparison slower.
  lastHeader = { algorithms, segment: Buffer.from(segment, 'latin1').toString('latin1'), facts };
  return facts;
}

function checkHeader(headerSegment: string, algorithms: ReadonlySet<JwsAlgorithm>): HeaderFacts {
  const headerBytes = decodeBase64url(headerSegment);
  if (headerBytes === undefined) fail('token_malformed', 'segment is not canonical base64url');
  const header = parseStrictJsonObject(headerBytes);
  if (header === undefined) fail('token_malformed', 'header is not a strict JSON object');
  const alg = header.alg;
  if (typeof alg !== 'string') fail('token_malformed', 'header has no alg');
  if (alg.toLowerCase() === 'none') fail('alg_not_allowed', 'unsecured tokens are not accepted');
  if (!isJwsAlgorithm(alg) || !algorithms.has(alg)) fail('alg_not_allowed', 'alg is not allowed');
  for (const name of FORBIDDEN_HEADERS) {
    if (Object.hasOwn(header, name)) fail('header_not_allowed', `header parameter "${name}" is not accepted`);
  }
  if (Object.hasOwn(header, 'crit')) fail('crit_unsupported', 'no critical header extension is supported');
  const kid = header.kid;
  if (kid !== undefined && typeof kid !== 'string') fail('token_malformed', 'kid is not a string');
  return { header: Object.freeze(header), alg, kid };
}

/** The header's `alg` must be the one algorithm bound to the key: never trusted to pick one. */
function checkBoundAlg(parsed: ParsedJws, key: BoundKey): void {
  if (parsed.alg !== key.alg) fail('alg_not_allowed', 'alg is not the algorithm bound to the key');
}

function refuseNonCanonicalSignature(parsed: ParsedJws): void {
  if (!isCanonicalBase64url(parsed.signatureSegment)) fail('token_malformed', 'segment is not canonical base64url');
}

/**
 * The signature's bytes, from canonical base64url only, of exactly the shape the key's algorithm
 * gives (see signatureHasValidShape).
 */
function shapedSignature(parsed: ParsedJws, key: BoundKey): Buffer {
  refuseNonCanonicalSignature(parsed);
  const signature = Buffer.from(parsed.signatureSegment, 'base64url');
  if (!signatureHasValidShape(key, signature)) fail('signature_invalid', 'signature is invalid');
  return signature;
}

/** {@link checkJwsSignature} with the `node` engine: synchronous, throws a VerifyError on failure. */
export function checkNodeSignature(parsed: ParsedJws, key: BoundKey): void {
  checkBoundAlg(parsed, key);
  // An HMAC is compared as text with the canonical encoding of the expected MAC (no bytes to
  // decode; the segment's length stands in for the shape check); public keys check bytes.
  if (ALGORITHM_SPECS[key.alg].family === 'hmac') {
    if (hmacSegmentMatches(key, parsed.token, parsed.signingInputEnd)) return;
    // Only a canonical spelling can match: tell a malformed segment from a wrong MAC.
    refuseNonCanonicalSignature(parsed);
    fail('signature_invalid', 'signature is invalid');
  }
  if (!verifyWithNodeCrypto(key, parsed.token.slice(0, parsed.signingInputEnd), shapedSignature(parsed, key))) {
    fail('signature_invalid', 'signature is invalid');
  }
}

/**
 * Checks a parsed token's signature with a key chosen by exact `kid`: the header `alg` must be the
 * key's bound algorithm; never trusted to pick one. Synchronous with the `node` engine (it returns
 * undefined then, and throws on failure), so the hot path pays no promise; a promise with `jose`.
 */
export function checkJwsSignature(parsed: ParsedJws, key: BoundKey, engine: SignatureEngine): Promise<void> | undefined {
  if (engine === 'node') {
    checkNodeSignature(parsed, key);
    return undefined;
  }
  checkBoundAlg(parsed, key);
  shapedSignature(parsed, key);
  return verifyWithJose(key, parsed.token).then((valid) => {
    if (!valid) fail('signature_invalid', 'signature is invalid');
  });
}

/** Looks a key up by the header's exact `kid` (no `kid`: only when the set has a single key). */
export function selectKey(parsed: ParsedJws, keys: KeySet): BoundKey {
  return keys.find(parsed.kid) ?? fail('unknown_kid', 'no key has this kid');
}

/** A compact JWS whose signature checked out; the payload is still unparsed bytes. */
export interface VerifiedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Buffer;
  readonly key: BoundKey;
}

/**
 * The JWS layer alone, with the key set fixed: every strict check, key selection and the
 * signature, but no claims (the payload need not be JSON). Used by the conformance vectors; use
 * {@link createVerifier} for tokens.
 *
 * @example
 * const keys = bindJwks(jwks, ['ES256']);
 * const { payload } = await verifySignature(token, keys, { algorithms: ['ES256'] });
 */
export async function verifySignature(
  token: unknown,
  keys: KeySet,
  options: { algorithms: readonly JwsAlgorithm[]; maxTokenLength?: number; engine?: SignatureEngine },
): Promise<VerifiedJws> {
  const parsed = parseCompactJws(token, { maxTokenLength: options.maxTokenLength ?? 8192, algorithms: new Set(options.algorithms) });
  const key = selectKey(parsed, keys);
  await checkJwsSignature(parsed, key, options.engine ?? 'node');
  return { header: parsed.header, payload: Buffer.from(parsed.payloadSegment, 'base64url'), key };
}
