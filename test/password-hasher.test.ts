import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { isCheckableHash, PasswordHasher } from '../src/users/password-hasher.js';

// Written by Django 3.2.25's own hashers (BCryptSHA256PasswordHasher, BCryptPasswordHasher,
// rounds lowered to 4 for speed) with Debian's python3-bcrypt.
const DJANGO = {
  bcryptSha256: { password: 'correct horse battery staple', encoded: 'bcrypt_sha256$$2b$04$rOPL8q/3MT/eJaTC4.uC/uzFR.cocqocxGVzE22SzTd9kFeIoCUVi' },
  bcryptSha256Unicode: { password: 'pässwörd-ünïcode', encoded: 'bcrypt_sha256$$2b$04$E.5OSvH3XWC8qYTDBOzQp.2VGwJzS07BsGK.AXz52.sO8oNOyVXvC' },
  bcryptSha256Long: { password: 'x'.repeat(100), encoded: 'bcrypt_sha256$$2b$04$T0p7Zsy4Um98Zyq9LHktieeYPM56rvIMLwceG.NQq8RF.O9tGagK2' },
  bcrypt: { password: 'correct horse battery staple', encoded: 'bcrypt$$2b$04$PYc6l6u9Z3btD.Xdd9GQ.OoGiJoU3rQO5ZJPDcol0.qomIrLZIwEO' },
  bcryptUnicode: { password: 'pässwörd-ünïcode', encoded: 'bcrypt$$2b$04$CmjH9MpS7O/eF0tjnjxR7ejHLFXa2lHaONFYH6rbIByBSDRSJRwA2' },
};

const hasher = new PasswordHasher({ memoryKib: 1024, iterations: 1, parallelism: 1 });

describe('password hasher: Django bcrypt formats', () => {
  it('accepts the right password for Django bcrypt_sha256$ and bcrypt$ hashes, and asks for a rehash', async () => {
    for (const [name, { password, encoded }] of Object.entries(DJANGO)) {
      assert.deepEqual(await hasher.check(encoded, password), { matches: true, needsRehash: true }, name);
    }
  });

  it('refuses a wrong password, and a bcrypt_sha256$ hash checked with the raw password', async () => {
    for (const [name, { password, encoded }] of Object.entries(DJANGO)) {
      assert.equal((await hasher.check(encoded, `${password}!`)).matches, false, name);
    }
    // bcrypt_sha256 feeds bcrypt the SHA-256 hex digest: the same bcrypt hash read as plain
    // bcrypt$ must not accept the password itself.
    const bare = DJANGO.bcryptSha256.encoded.slice('bcrypt_sha256$'.length);
    assert.equal((await hasher.check(`bcrypt$${bare}`, DJANGO.bcryptSha256.password)).matches, false);
  });

  it('refuses malformed bcrypt hashes without throwing', async () => {
    for (const encoded of ['bcrypt_sha256$$2b$12$abc', 'bcrypt$', 'bcrypt_sha256$', 'bcrypt$$2b$99$rOPL8q/3MT/eJaTC4.uC/uzFR.cocqocxGVzE22SzTd9kFeIoCUVi']) {
      assert.deepEqual(await hasher.check(encoded, 'anything'), { matches: false, needsRehash: false }, encoded);
    }
  });

  it('does not run bcrypt above cost 16, even for the right password', async () => {
    // A real cost-17 hash of this password: checked, it would match after ~2^17 rounds.
    const costly = 'bcrypt$$2b$17$0Obe2TdwsrdJTzX74NA75uD9y8xF0odV5devY.mmHI.6KROfo1aZ6';
    assert.deepEqual(await hasher.check(costly, 'capped-password'), { matches: false, needsRehash: false });
  });

  it('names the formats a login can check', () => {
    for (const { encoded } of Object.values(DJANGO)) assert.equal(isCheckableHash(encoded), true, encoded);
    assert.equal(isCheckableHash('pbkdf2_sha256$1200$salt$hash'), true);
    assert.equal(isCheckableHash('argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA'), true);
    assert.equal(isCheckableHash('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'), true);
    // Above the cost cap: imported users with such a hash are told to set a new password.
    assert.equal(isCheckableHash('bcrypt$$2b$17$0Obe2TdwsrdJTzX74NA75uD9y8xF0odV5devY.mmHI.6KROfo1aZ6'), false);
    assert.equal(isCheckableHash('bcrypt_sha256$$2b$12$abc'), false);
    for (const other of ['sha1$salt$hash', 'md5$salt$hash', 'unsalted_md5$abc', 'crypt$$ab12', '!unusable', '']) {
      assert.equal(isCheckableHash(other), false, other);
    }
    // Malformed hashes of a known format are not checkable either.
    for (const malformed of ['$argon2id$garbage', 'argon2$argon2id$v=19$m=1,t=1$c2FsdA$aGFzaA', 'pbkdf2_sha256$$salt$hash', 'pbkdf2_sha256$1200$salt$', 'pbkdf2_sha256$99999999$salt$hash']) {
      assert.equal(isCheckableHash(malformed), false, malformed);
    }
  });
});

describe('password hasher: every check costs a password check', () => {
  afterEach(() => mock.restoreAll());

  /** Counts checks against the dummy hash, the work a login for an unknown username costs. */
  function countDummyChecks(): () => number {
    const spy = mock.method(PasswordHasher.prototype as unknown as { verifyDummy(password: string): Promise<void> }, 'verifyDummy');
    return () => spy.mock.callCount();
  }

  it('checks the dummy hash for a hash it cannot check, and never matches', async () => {
    const dummyChecks = countDummyChecks();
    const unusable = ['!unusable', 'sha1$salt$hash', 'md5$salt$hash', '', '$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHQ$aGFzaGhhc2g', 'bcrypt$$2b$17$0Obe2TdwsrdJTzX74NA75uD9y8xF0odV5devY.mmHI.6KROfo1aZ6'];
    for (const encoded of unusable) {
      assert.deepEqual(await hasher.check(encoded, 'gatehouse dummy password'), { matches: false, needsRehash: false }, encoded);
    }
    assert.equal(dummyChecks(), unusable.length);
  });

  it('checks a real hash itself, and the dummy only for unknown users', async () => {
    const dummyChecks = countDummyChecks();
    const encoded = await hasher.hash('correct horse battery');
    assert.equal((await hasher.check(encoded, 'wrong')).matches, false);
    assert.equal((await hasher.check(DJANGO.bcrypt.encoded, 'wrong')).matches, false);
    assert.equal(dummyChecks(), 0);
    await hasher.checkDummy('anything');
    assert.equal(dummyChecks(), 1);
  });
});
