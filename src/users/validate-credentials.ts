import { validationError, type FieldErrors } from '../errors.js';

/** Django's default username rule: letters, digits and @ . + - _, at most 150 characters. */
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;
const USERNAME_MAX = 150;
const PASSWORD_MAX = 4096;

/** Checks a new account's username and password, answering as DRF's serializer would. */
export function validateNewCredentials(username: string, password: string, minPasswordLength: number): void {
  const fields: Record<string, string[]> = {};
  if (username.length > USERNAME_MAX) fields.username = [`Ensure this field has no more than ${USERNAME_MAX} characters.`];
  else if (!USERNAME.test(username)) fields.username = ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'];
  const problem = passwordProblem(password, minPasswordLength);
  if (problem !== undefined) fields.password = [problem];
  if (Object.keys(fields).length > 0) throw validationError(fields as FieldErrors);
}

function passwordProblem(password: string, minPasswordLength: number): string | undefined {
  if (password.length < minPasswordLength) return `This password is too short. It must contain at least ${minPasswordLength} characters.`;
  if (password.length > PASSWORD_MAX) return `Ensure this field has no more than ${PASSWORD_MAX} characters.`;
  return undefined;
}

/** Checks a new password alone, answering on `field` (Djoser's set_password calls it `new_password`). */
export function validateNewPassword(password: string, minPasswordLength: number, field: string): void {
  const problem = passwordProblem(password, minPasswordLength);
  if (problem !== undefined) throw validationError({ [field]: [problem] });
}
