import { GatehouseClientError } from '../../client/index.js';

/** What the demo tells a person about a failed call, by stable error code. */
export function describeError(error: unknown): string {
  if (!(error instanceof GatehouseClientError)) return 'Something went wrong. Please try again.';
  switch (error.code) {
    case 'no_active_account':
      return 'Wrong username or password.';
    case 'rate_limited':
      return `Too many attempts. Try again in ${error.retryAfterSeconds ?? 60} seconds.`;
    case 'token_not_valid':
    case 'refresh_token_reused':
      return 'Your session has expired. Please sign in again.';
    case 'not_logged_in':
      return 'You are signed out. Please sign in.';
    case 'network_error':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'registration_closed':
      return 'Sign-up is closed on this server.';
    case 'invalid': {
      const lines = Object.entries(error.fields ?? {}).map(([field, messages]) => `${field}: ${messages.join(' ')}`);
      return lines.length > 0 ? lines.join(' ') : error.message;
    }
    default:
      return `${error.message} (${error.code})`;
  }
}
