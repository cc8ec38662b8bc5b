import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { RateLimit } from '../config/setting.js';
import { addressKey } from '../limits/address-key.js';
import type { CounterStore } from '../limits/counter-store.js';
import { usernameForRecords } from '../users/validate-credentials.js';
import { failuresByAddress, orNothing, throttled } from './failure-limit.js';

/** The browser's "known device" cookie: a random id the server remembers per account. */
export const DEVICE_COOKIE = 'gatehouse_device';
/** How long an address or browser that signed in stays exempt from the account's backoff. */
const KNOWN_FOR_MS = 30 * 24 * 3600_000;
const FIRST_WAIT_MS = 1000;

export interface LoginGuardOptions {
  readonly counters: CounterStore;
  /** Failed logins per account before the backoff starts, and the window they are counted in. */
  readonly account: RateLimit;
  /** Failed logins per client address (IPv6 /64), across usernames. */
  readonly address: RateLimit;
  /** Told of each login it refuses (for the audit trail). */
  readonly onRefused?: (request: FastifyRequest, username: string) => void;
}

export interface LoginGuard {
  /** Before the password is checked: 429 with Retry-After when this address or account must wait. */
  check(request: FastifyRequest, reply: FastifyReply, username: string): Promise<void>;
  /** After a wrong password (or unknown or inactive user). */
  failed(request: FastifyRequest, username: string): Promise<void>;
  /** After a login: this address and browser are known for the account from now on. */
  succeeded(request: FastifyRequest, reply: FastifyReply, username: string): Promise<void>;
}

/** The account as limits count it: Unicode-normalised, case-folded, at most Django's 150 characters. */
function accountKey(username: string): string {
  return usernameForRecords(username).toLowerCase();
}

function deviceIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  const id = header === undefined ? undefined : request.server.parseCookie(header)[DEVICE_COOKIE];
  return id !== undefined && /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/**
 * Slows guessing without handing attackers a lockout:
 * - per account: after `account.max` failures within the window, each further attempt must wait,
 *   from 1 s doubling up to the window (about a dozen more guesses an hour; ASVS asks for at most
 *   100). A login from an address or a browser (cookie `gatehouse_device`) that signed in to
 *   that account before is exempt, so an attacker elsewhere cannot lock the owner out;
 * - per address (an IPv6 /64 as one): at most `address.max` failures within its window, across
 *   all usernames (password spraying).
 * A limit of 0 is off. Counters live where `counters` keeps them (the node, or Redis).
 *
 * @example
 * const guard = loginGuard({ counters, account: { max: 10, windowSeconds: 900 }, address: { max: 30, windowSeconds: 900 } });
 */
export function loginGuard(options: LoginGuardOptions): LoginGuard {
  const { counters, account } = options;
  const accountWindowMs = account.windowSeconds * 1000;
  const byAddress = failuresByAddress(counters, options.address, 'fail-addr');

  async function isKnown(request: FastifyRequest, user: string): Promise<boolean> {
    const device = deviceIdOf(request);
    const knownAddress = await orNothing(counters.peek(`known|${user}|${addressKey(request.ip)}`));
    if ((knownAddress?.count ?? 0) > 0) return true;
    if (device === undefined) return false;
    return ((await orNothing(counters.peek(`device|${user}|${device}`)))?.count ?? 0) > 0;
  }

  return {
    async check(request, reply, username) {
      const user = accountKey(username);
      try {
        await byAddress.check(request, reply);
      } catch (error) {
        options.onRefused?.(request, user);
        throw error;
      }
      if (account.max === 0) return;
      const lock = await orNothing(counters.peek(`lock-acct|${user}`));
      if (lock === undefined || lock.count === 0 || (await isKnown(request, user))) return;
      options.onRefused?.(request, user);
      throw throttled(reply, lock.ttlMs);
    },

    async failed(request, username) {
      const user = accountKey(username);
      await byAddress.failed(request);
      if (account.max === 0) return;
      const failures = await orNothing(counters.hit(`fail-acct|${user}`, accountWindowMs));
      if (failures === undefined || failures.count < account.max) return;
      const waitMs = Math.min(FIRST_WAIT_MS * 2 ** Math.min(failures.count - account.max, 30), accountWindowMs);
      await orNothing(counters.mark(`lock-acct|${user}`, waitMs));
    },

    async succeeded(request, reply, username) {
      if (account.max === 0) return;
      const user = accountKey(username);
      const device = deviceIdOf(request) ?? randomBytes(16).toString('hex');
      await orNothing(counters.mark(`known|${user}|${addressKey(request.ip)}`, KNOWN_FOR_MS));
      await orNothing(counters.mark(`device|${user}|${device}`, KNOWN_FOR_MS));
      void reply.setCookie(DEVICE_COOKIE, device, {
        path: '/api/token/',
        maxAge: KNOWN_FOR_MS / 1000,
        httpOnly: true,
        sameSite: 'lax',
        secure: request.protocol === 'https',
      });
    },
  };
}
