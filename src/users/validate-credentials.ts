import type { ZxcvbnFactory, ZxcvbnResult } from '@zxcvbn-ts/core';
import { validationError, type FieldErrors } from '../errors.js';

/**
 * Django's default username rule (UnicodeUsernameValidator) after its NFKC normalisation:
 * letters, digits and @ . + - _. Everything else, control and bidirectional-override
 * characters included, is refused.
 */
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;
const USERNAME_MAX = 150;
/** Longest password hashed: bounds the work one request can ask of the hasher. */
export const PASSWORD_MAX = 1024;
/** zxcvbn's score (0–4) a new password must reach: at least 10^6 guesses (see docs/security.md). */
const MIN_STRENGTH_SCORE = 2;
/**
 * zxcvbn analyses only this many leading characters, and tries at most this many l33t
 * substitutions: its matching grows much faster than linearly with both (measured: hundreds of
 * ms for 64 random characters with the defaults), and a longer password is judged by its start.
 */
const STRENGTH_ANALYSED_LENGTH = 32;
const STRENGTH_L33T_SUBSTITUTIONS = 3;

const INVALID_USERNAME = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';

/** Django's `normalize_username`: NFKC, so that look-alikes (`ａlice`, full width) are one name. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC');
}

function usernameProblem(normalized: string): string | undefined {
  // Django counts code points, not UTF-16 units.
  if ([...normalized].length > USERNAME_MAX) return `Ensure this field has no more than ${USERNAME_MAX} characters.`;
  if (!USERNAME.test(normalized)) return INVALID_USERNAME;
  return undefined;
}

/**
 * The stored form (NFKC) of a username, or undefined when no account can have it: at login that
 * fails exactly as an unknown user does, without asking the database.
 */
export function validUsername(username: string): string | undefined {
  const normalized = normalizeUsername(username);
  return usernameProblem(normalized) === undefined ? normalized : undefined;
}

/**
 * A username as the audit trail may keep it: the stored form when it is valid, else the text
 * with control, format and lone surrogate code points replaced (PostgreSQL refuses NUL in text,
 * which would stall the whole batch) and cut to 150 characters.
 */
export function usernameForRecords(username: string): string {
  return validUsername(username) ?? [...username.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '\uFFFD')].slice(0, USERNAME_MAX).join('');
}

/**
 * Checks a new account's username and password as Django and Djoser would, and returns the
 * username to store (its NFKC form). Throws DRF's field map (`invalid`) otherwise.
 *
 * @example const username = await validateNewCredentials('ａlice', 'correct horse battery', 8); // 'alice'
 */
export async function validateNewCredentials(username: string, password: string, minPasswordLength: number): Promise<string> {
  const normalized = normalizeUsername(username);
  const fields: Record<string, string[]> = {};
  const nameProblem = usernameProblem(normalized);
  if (nameProblem !== undefined) fields.username = [nameProblem];
  const problem = await passwordProblem(password, minPasswordLength, normalized);
  if (problem !== undefined) fields.password = [problem];
  if (Object.keys(fields).length > 0) throw validationError(fields as FieldErrors);
  return normalized;
}

/**
 * Checks a new password alone, answering on `field` (Djoser's set_password calls it
 * `new_password`); `username` is the account's, which the password must not resemble.
 */
export async function validateNewPassword(password: string, minPasswordLength: number, field: string, username: string): Promise<void> {
  const problem = await passwordProblem(password, minPasswordLength, username);
  if (problem !== undefined) throw validationError({ [field]: [problem] });
}

async function passwordProblem(password: string, minPasswordLength: number, username: string): Promise<string | undefined> {
  if (password.length < minPasswordLength) return `This password is too short. It must contain at least ${minPasswordLength} characters.`;
  if (password.length > PASSWORD_MAX) return `Ensure this field has no more than ${PASSWORD_MAX} characters.`;
  const result = (await strengthEstimator()).check(password, userInputs(username));
  return result.score >= MIN_STRENGTH_SCORE ? undefined : weaknessMessage(result, password);
}

/** The username and its parts (`alice.smith` → `alice`, `smith`), as Django's similarity check splits it. */
function userInputs(username: string): string[] {
  const parts = username.split(/[^\p{L}\p{N}]+/u).filter((part) => part.length >= 3);
  return [...new Set([username, ...parts])];
}

/** Django's messages where zxcvbn's finding matches one of its validators, else a generic one. */
function weaknessMessage(result: ZxcvbnResult, password: string): string {
  if (result.sequence.some((match) => match.dictionaryName === 'userInputs')) return 'The password is too similar to the username.';
  if (/^\d+$/.test(password)) return 'This password is entirely numeric.';
  if (result.sequence.length === 1 && result.sequence[0]?.pattern === 'dictionary') return 'This password is too common.';
  return 'This password is too easy to guess.';
}

let estimator: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn with its common-password and diceware lists, built on first use and kept for the
 * process: loading the lists costs a few hundred ms, which processes that never check a new
 * password (most CLI commands) should not pay.
 */
function strengthEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory: Factory }, common] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]);
    return new Factory({
      dictionary: common.dictionary,
      graphs: common.adjacencyGraphs,
      maxLength: STRENGTH_ANALYSED_LENGTH,
      l33tMaxSubstitutions: STRENGTH_L33T_SUBSTITUTIONS,
    });
  })();
  return estimator;
}
