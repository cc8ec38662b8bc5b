import { createClient, isGatehouseClientError } from '../../client/index.js';
import type { ClientOptions, FieldMessages, GatehouseSession, LogoutReason, RefreshReason } from '../../client/index.js';
import { describeDevice } from './describe-device.js';
import { describeError } from './describe-error.js';
import { formatCountdown } from './format-countdown.js';
import { formatLastUsed } from './format-last-used.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found as T;
}

const ui = {
  message: element<HTMLDivElement>('message'),
  signedOut: element<HTMLElement>('signed-out'),
  signedIn: element<HTMLElement>('signed-in'),
  form: element<HTMLFormElement>('credentials'),
  username: element<HTMLInputElement>('username'),
  password: element<HTMLInputElement>('password'),
  signUp: element<HTMLButtonElement>('sign-up'),
  title: element<HTMLHeadingElement>('session-title'),
  who: element<HTMLSpanElement>('who'),
  storageNote: element<HTMLParagraphElement>('storage-note'),
  countdown: element<HTMLSpanElement>('countdown'),
  claims: element<HTMLPreElement>('claims'),
  signOut: element<HTMLButtonElement>('sign-out'),
  signOutEverywhere: element<HTMLButtonElement>('sign-out-everywhere'),
  callApi: element<HTMLButtonElement>('call-api'),
  apiStatus: element<HTMLParagraphElement>('api-status'),
  apiResult: element<HTMLPreElement>('api-result'),
  activity: element<HTMLOListElement>('activity'),
  sessionsPanel: element<HTMLElement>('sessions-panel'),
  sessions: element<HTMLUListElement>('sessions'),
  sessionsStatus: element<HTMLParagraphElement>('sessions-status'),
  revokeOthers: element<HTMLButtonElement>('revoke-others'),
  passwordPanel: element<HTMLElement>('password-panel'),
  passwordForm: element<HTMLFormElement>('change-password'),
  passwordStatus: element<HTMLParagraphElement>('password-status'),
};

/** The change-password inputs by the server's field names, each with the element showing its errors. */
const passwordFields = {
  current_password: { input: element<HTMLInputElement>('current-password'), error: element<HTMLParagraphElement>('current-password-error') },
  new_password: { input: element<HTMLInputElement>('new-password'), error: element<HTMLParagraphElement>('new-password-error') },
  confirm_password: { input: element<HTMLInputElement>('confirm-password'), error: element<HTMLParagraphElement>('confirm-password-error') },
} as const;
type PasswordField = keyof typeof passwordFields;

/** How often the session list is reloaded while the page is visible (also on focus). */
const SESSIONS_POLL_MS = 15_000;

// ?storage=localStorage or ?storage=cookie shows the other modes; memory is the safe default.
const requested = new URLSearchParams(location.search).get('storage');
const storage: NonNullable<ClientOptions['storage']> =
  requested === 'localStorage' || requested === 'cookie' ? requested : 'memory';
const client = createClient({ storage });

const REFRESH_REASONS: Record<RefreshReason, string> = {
  scheduled: 'just before the access token expired',
  expiring: 'because a request needed a fresh token',
  rejected: 'after the server refused the old access token',
  restore: 'to resume the session after the page loaded',
  other_tab: 'in another tab',
};

function showMessage(text: string, kind: 'error' | 'info' = 'error'): void {
  ui.message.textContent = text;
  ui.message.classList.toggle('info', kind === 'info');
  ui.message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  ui.message.hidden = false;
}

function clearMessage(): void {
  ui.message.hidden = true;
  ui.message.textContent = '';
}

function note(text: string, className?: string): void {
  const item = document.createElement('li');
  const time = new Date().toLocaleTimeString();
  item.textContent = `${time} – ${text}`;
  if (className !== undefined) item.className = className;
  ui.activity.prepend(item);
  while (ui.activity.children.length > 20) ui.activity.lastElementChild?.remove();
}

function storageDescription(): string {
  if (client.usesRefreshCookie()) return 'The refresh token is in an HttpOnly cookie: no script on this page can read it.';
  if (storage === 'localStorage') {
    return 'The refresh token is in localStorage: it survives reloads, but any script on this page could read it.';
  }
  return 'The refresh token is kept in memory: it is gone when you reload the page.';
}

function renderSession(): void {
  const claims = client.claims();
  const signedIn = claims !== null;
  ui.signedIn.hidden = !signedIn;
  ui.signedOut.hidden = signedIn;
  ui.sessionsPanel.hidden = !signedIn;
  ui.passwordPanel.hidden = !signedIn;
  if (!signedIn) {
    // Nothing of the last user's stays on the page for the next one.
    ui.sessions.replaceChildren();
    ui.sessionsStatus.textContent = '';
    resetPasswordForm();
    return;
  }
  ui.claims.textContent = JSON.stringify(claims, null, 2);
  ui.storageNote.textContent = storageDescription();
  tick();
}

function tick(): void {
  const exp = client.claims()?.exp;
  ui.countdown.textContent = client.isLoggedIn() ? formatCountdown(exp, Date.now()) : '–';
}

async function showUser(fallback: string): Promise<void> {
  ui.who.textContent = fallback;
  try {
    ui.who.textContent = (await client.getUser()).username;
  } catch {
    // the typed name is good enough for the heading
  }
}

/** Disables the buttons while a request runs, so a double click cannot send it twice. */
async function busy(task: () => Promise<void>): Promise<void> {
  const buttons = Array.from(document.querySelectorAll('button'));
  for (const button of buttons) button.disabled = true;
  try {
    await task();
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

async function signIn(username: string, password: string): Promise<void> {
  await client.login(username, password);
  ui.password.value = '';
  clearMessage();
  note(`Signed in as ${username}.`);
  renderSession();
  await Promise.all([showUser(username), loadSessions()]);
  ui.title.focus();
}

// --- Your sessions ---------------------------------------------------------------------------

let sessionsRequest = 0;
let sessionsLoadFailed = false;

/** Reloads the session list; a slower older answer never overwrites a newer one. */
async function loadSessions(): Promise<void> {
  if (!client.isLoggedIn()) return;
  const ticket = ++sessionsRequest;
  try {
    const sessions = await client.listSessions();
    if (ticket !== sessionsRequest || !client.isLoggedIn()) return;
    renderSessions(sessions);
    if (sessionsLoadFailed) ui.sessionsStatus.textContent = '';
    sessionsLoadFailed = false;
  } catch (error) {
    // Signed out meanwhile (this session was ended elsewhere): the logout event tells the user.
    if (ticket !== sessionsRequest || !client.isLoggedIn()) return;
    sessionsLoadFailed = true;
    ui.sessionsStatus.textContent = `Could not load the sessions. ${describeError(error)}`;
  }
}

function renderSessions(sessions: readonly GatehouseSession[]): void {
  // Re-rendering must not throw a keyboard user's focus away from the row they are on.
  const focused = document.activeElement?.closest<HTMLElement>('#sessions li')?.dataset['sessionId'];
  const now = Date.now();
  ui.sessions.replaceChildren(...sessions.map((session) => sessionRow(session, now)));
  ui.revokeOthers.hidden = !sessions.some((session) => !session.current);
  if (focused !== undefined) {
    const row = Array.from(ui.sessions.children).find((item) => (item as HTMLElement).dataset['sessionId'] === focused);
    row?.querySelector('button')?.focus();
  }
}

function sessionRow(session: GatehouseSession, now: number): HTMLLIElement {
  const device = describeDevice(session.user_agent);
  const address = session.ip ?? 'unknown address';
  const lastUsed = formatLastUsed(session.last_used_at, now);
  const item = document.createElement('li');
  item.className = session.current ? 'session current' : 'session';
  item.dataset['sessionId'] = session.id;

  const name = document.createElement('p');
  name.className = 'session-device';
  const strong = document.createElement('strong');
  strong.textContent = device;
  if (session.user_agent !== null) strong.title = session.user_agent;
  name.append(strong);
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'This device';
    name.append(' ', badge);
  }

  const details = document.createElement('p');
  details.className = 'hint';
  details.append(`${address} · `, timeElement(session.last_used_at, `Last used ${lastUsed}`), ' · ', timeElement(session.created_at, `signed in ${formatLastUsed(session.created_at, now)}`));
  item.append(name, details);

  // This device signs out with the "Sign out" button above.
  if (!session.current) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.textContent = 'Sign out';
    button.setAttribute('aria-label', `Sign out ${device}, ${address}, last used ${lastUsed}`);
    button.addEventListener('click', () => revokeSession(session.id, device));
    item.append(button);
  }
  return item;
}

function timeElement(iso: string, text: string): HTMLTimeElement {
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = text;
  const date = new Date(iso);
  if (!Number.isNaN(date.getTime())) time.title = date.toLocaleString();
  return time;
}

function revokeSession(id: string, device: string): void {
  void busy(async () => {
    try {
      await client.revokeSession(id);
      ui.sessionsStatus.textContent = `Signed out ${device}.`;
      note(`Signed out a session (${device}).`);
    } catch (error) {
      if (isGatehouseClientError(error) && error.code === 'not_found') ui.sessionsStatus.textContent = 'That session had already ended.';
      else showMessage(describeError(error));
    }
    await loadSessions();
  });
}

ui.revokeOthers.addEventListener('click', () => {
  void busy(async () => {
    try {
      await client.revokeOtherSessions();
      ui.sessionsStatus.textContent = 'Every other session was signed out.';
      note('Signed out every other session.');
    } catch (error) {
      showMessage(describeError(error));
    }
    await loadSessions();
  });
});

setInterval(() => {
  if (document.visibilityState === 'visible') void loadSessions();
}, SESSIONS_POLL_MS);
window.addEventListener('focus', () => void loadSessions());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void loadSessions();
});

// --- Change password -------------------------------------------------------------------------

function resetPasswordForm(): void {
  ui.passwordForm.reset();
  showPasswordErrors({});
  setPasswordStatus('');
}

function setPasswordStatus(text: string, kind: 'ok' | 'error' = 'ok'): void {
  ui.passwordStatus.textContent = text;
  ui.passwordStatus.className = `form-status ${kind}`;
}

const isPasswordField = (name: string): name is PasswordField => Object.hasOwn(passwordFields, name);

/**
 * Shows each field's messages under its input (and clears the others); focuses the first bad
 * input. Messages for fields the form does not have (`non_field_errors`) go to the form status.
 */
function showPasswordErrors(fields: FieldMessages): void {
  let first: HTMLInputElement | undefined;
  for (const [name, { input, error }] of Object.entries(passwordFields)) {
    const messages = fields[name] ?? [];
    error.textContent = messages.join(' ');
    error.hidden = messages.length === 0;
    input.setAttribute('aria-invalid', String(messages.length > 0));
    if (messages.length > 0) first ??= input;
  }
  const other = Object.entries(fields).filter(([name]) => !isPasswordField(name));
  if (other.length > 0) setPasswordStatus(other.map(([, messages]) => messages.join(' ')).join(' '), 'error');
  first?.focus();
}

/** Checks the form before asking the server: every field filled, the new password typed twice alike. */
function passwordFormProblems(current: string, next: string, confirm: string): Record<string, string[]> {
  const problems: Record<string, string[]> = {};
  if (current === '') problems['current_password'] = ['Enter your current password.'];
  if (next === '') problems['new_password'] = ['Choose a new password.'];
  else if (confirm !== next) problems['confirm_password'] = ['The two new passwords do not match.'];
  return problems;
}

ui.passwordForm.addEventListener('submit', (event) => {
  event.preventDefault();
  setPasswordStatus('');
  const current = passwordFields.current_password.input.value;
  const next = passwordFields.new_password.input.value;
  const problems = passwordFormProblems(current, next, passwordFields.confirm_password.input.value);
  showPasswordErrors(problems);
  if (Object.keys(problems).length > 0) return;
  void busy(async () => {
    try {
      await client.changePassword(current, next);
      ui.passwordForm.reset();
      setPasswordStatus('Password changed. Every other session was signed out.');
      note('Password changed; every other session was signed out.');
      await loadSessions();
    } catch (error) {
      if (isGatehouseClientError(error) && error.code === 'invalid' && error.fields !== undefined) showPasswordErrors(error.fields);
      else setPasswordStatus(describeError(error), 'error');
    }
  });
});

/** The form's values, or null (with a message saying what is missing). */
function readCredentials(): { username: string; password: string } | null {
  const username = ui.username.value.trim();
  const password = ui.password.value;
  if (username !== '' && password !== '') return { username, password };
  showMessage('Enter a username and a password.');
  (username === '' ? ui.username : ui.password).focus();
  return null;
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const credentials = readCredentials();
  if (credentials === null) return;
  const { username, password } = credentials;
  void busy(async () => {
    try {
      await signIn(username, password);
    } catch (error) {
      showMessage(describeError(error));
      ui.password.select();
    }
  });
});

ui.signUp.addEventListener('click', () => {
  const credentials = readCredentials();
  if (credentials === null) return;
  const { username, password } = credentials;
  void busy(async () => {
    try {
      await client.register(username, password);
      note(`Account ${username} created.`);
      await signIn(username, password);
    } catch (error) {
      showMessage(describeError(error));
    }
  });
});

ui.signOut.addEventListener('click', () => {
  void busy(async () => {
    try {
      await client.logout();
    } catch (error) {
      showMessage(`Signed out here, but the server could not be told: ${describeError(error)}`);
    }
  });
});

ui.signOutEverywhere.addEventListener('click', () => {
  void busy(async () => {
    try {
      await client.logoutEverywhere();
    } catch (error) {
      showMessage(describeError(error));
    }
  });
});

ui.callApi.addEventListener('click', () => {
  void busy(async () => {
    ui.apiStatus.className = 'api-status';
    ui.apiStatus.textContent = 'Calling /api/me/…';
    try {
      const response = await client.fetch('/api/me/', { headers: { Accept: 'application/json' } });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: show as is
      }
      const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
      ui.apiStatus.classList.add(response.ok ? 'ok' : 'refused');
      ui.apiStatus.textContent = response.ok
        ? `${response.status}: the API accepted the access token.`
        : `${response.status}: the API refused the call${typeof code === 'string' ? ` (${code})` : ''}.`;
      ui.apiResult.textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      ui.apiResult.hidden = false;
    } catch (error) {
      ui.apiStatus.classList.add('refused');
      ui.apiStatus.textContent = describeError(error);
      ui.apiResult.hidden = true;
    }
  });
});

client.on('refresh', ({ reason }) => {
  note(`Session refreshed ${REFRESH_REASONS[reason]}.`, 'refresh');
  renderSession();
});

client.on('login', ({ fromOtherTab }) => {
  if (!fromOtherTab) return;
  note('Signed in in another tab.');
  renderSession();
  void showUser('');
  void loadSessions();
});

const LOGOUT_NOTES: Record<LogoutReason, string> = {
  user: 'Signed out.',
  everywhere: 'Signed out everywhere: every session of this account was revoked.',
  expired: 'The session ended: it expired, or it was signed out from another device.',
  other_tab: 'Signed out in another tab.',
  account_deleted: 'The account was deleted.',
};

client.on('logout', ({ reason }) => {
  note(LOGOUT_NOTES[reason]);
  if (reason === 'expired') showMessage('Your session has expired or was signed out from another device. Please sign in again.');
  else showMessage(LOGOUT_NOTES[reason], 'info');
  renderSession();
  ui.username.focus();
});

client.on('error', ({ error }) => {
  note(`Refresh failed: ${describeError(error)} Will retry.`);
});

setInterval(tick, 200);
renderSession();
void client.restore().then(async (restored) => {
  if (!restored) return;
  renderSession();
  await Promise.all([showUser(''), loadSessions()]);
});
