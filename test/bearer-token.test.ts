// The Authorization header is read exactly as simplejwt reads it (split on spaces), including
// by the fast path for the usual `Bearer <token>`.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { isGatehouseError } from '../src/errors.js';
import { bearerToken } from '../src/http/bearer-token.js';

/** simplejwt's JWTAuthentication.get_raw_token, as the reference. */
function reference(header: string): string {
  const parts = header.split(' ').filter((part) => part !== '');
  if (parts.length === 0 || parts[0] !== 'Bearer') return 'error:not_authenticated';
  if (parts.length !== 2) return 'error:bad_authorization_header';
  return `token:${parts[1]}`;
}

function outcome(header: string): string {
  try {
    return `token:${bearerToken(header)}`;
  } catch (error) {
    assert.ok(isGatehouseError(error));
    return `error:${error.code}`;
  }
}

it('reads Authorization headers as simplejwt does (property)', () => {
  for (const header of ['Bearer abc', 'Bearer  abc', 'Bearer abc ', ' Bearer abc', 'Bearer', 'Bearer ', 'bearer abc', 'Bearer a b', 'Bearer\tabc', 'Token abc', '']) {
    assert.equal(outcome(header), reference(header), JSON.stringify(header));
  }
  fc.assert(
    fc.property(fc.array(fc.constantFrom('Bearer', 'Bearer ', ' ', '  ', 'x', 'a.b.c', '\t', 'B'), { maxLength: 6 }), (pieces) => {
      const header = pieces.join('');
      assert.equal(outcome(header), reference(header), JSON.stringify(header));
    }),
    { numRuns: 500 },
  );
});
