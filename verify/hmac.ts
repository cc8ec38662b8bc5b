import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, type KeyObject } from 'node:crypto';

/** The hashes of the HS* algorithms. */
export type HmacHash = 'sha256' | 'sha384' | 'sha512';

/**
 * HMAC of an ASCII string (a JWS signing input), as unpadded base64url; with `length`, of its
 * first `length` characters only (a whole token's signing input, without slicing it off).
 */
export type HmacBase64url = (input: string, length?: number) => string;

const BLOCK_BYTES: Readonly<Record<HmacHash, number>> = { sha256: 64, sha384: 128, sha512: 128 };
const DIGEST_BYTES: Readonly<Record<HmacHash, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** Longest input the pad buffers hold; longer ones (never a default-sized token) use createHmac. */
const MAX_INPUT_BYTES = 16_384;

/** Inner-buffer views kept per key (one per input length seen). */
const MAX_VIEWS = 32;

// node:crypto's one-shot hash (Node ≥ 20.12); without it every HMAC goes through createHmac.
const oneShotHash = (nodeCrypto as { hash?: typeof nodeCrypto.hash }).hash;

// Per hash as well as per key: a key is bound to one algorithm, but this need not rely on it.
const made: Readonly<Record<HmacHash, WeakMap<object, HmacBase64url>>> = { sha256: new WeakMap(), sha384: new WeakMap(), sha512: new WeakMap() };

/**
 * HMAC (RFC 2104) built from node:crypto's one-shot hash with the key's inner and outer pads
 * computed once: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)). createHmac sets up a fresh OpenSSL MAC
 * context on every call, which is most of an HS256 check (~1.7 µs here, against ~0.8 µs for
 * this); tests compare it with createHmac for every hash, key and input length.
 *
 * The input must be ASCII (each character is written as one latin1 byte); a compact JWS signing
 * input is base64url text. Synchronous, so no two calls ever share a key's buffers at once.
 *
 * @example
 * const mac = hmacBase64url('sha256', secret);
 * const signature = mac(`${header}.${payload}`);
 */
export function hmacBase64url(hash: HmacHash, key: Uint8Array | KeyObject): HmacBase64url {
  const cached = made[hash].get(key);
  if (cached !== undefined) return cached;
  const secret = key instanceof Uint8Array ? key : key.export();
  const mac = oneShotHash === undefined ? viaCreateHmac(hash, secret) : viaOneShotHash(oneShotHash, hash, secret);
  made[hash].set(key, mac);
  return mac;
}

function viaCreateHmac(hash: HmacHash, secret: Uint8Array): HmacBase64url {
  return (input, length = input.length) => {
    const text = length === input.length ? input : input.slice(0, length);
    return createHmac(hash, secret).update(text, 'latin1').digest('base64url');
  };
}

function viaOneShotHash(oneShot: typeof nodeCrypto.hash, hash: HmacHash, secret: Uint8Array): HmacBase64url {
  const block = BLOCK_BYTES[hash];
  const digest = DIGEST_BYTES[hash];
  // RFC 2104 §2: a key longer than the block is hashed first; a shorter one is zero-padded.
  const padded = Buffer.alloc(block);
  padded.set(secret.length > block ? createHash(hash).update(secret).digest() : secret);
  // Per key: the inner pad followed by room for the input, and the outer pad followed by the
  // inner digest, so a call writes the input once and allocates only the subarray it hashes.
  const inner = Buffer.alloc(block + MAX_INPUT_BYTES);
  const outer = Buffer.alloc(block + digest);
  for (let i = 0; i < block; i++) {
    inner[i] = (padded[i] as number) ^ 0x36;
    outer[i] = (padded[i] as number) ^ 0x5c;
  }
  padded.fill(0);
  const fallback = viaCreateHmac(hash, secret);
  // Views of the inner buffer by input length: one issuer's tokens come in a few lengths, and
  // a new subarray per call cost more than this lookup.
  const views = new Map<number, Buffer>();
  return (input, length = input.length) => {
    if (length > MAX_INPUT_BYTES || length > input.length) return fallback(input, length);
    inner.write(input, block, length, 'latin1');
    let view = views.get(length);
    if (view === undefined) {
      if (views.size >= MAX_VIEWS) views.clear();
      view = inner.subarray(0, block + length);
      views.set(length, view);
    }
    outer.write(oneShot(hash, view, 'binary'), block, 'latin1');
    return oneShot(hash, outer, 'base64url');
  };
}
