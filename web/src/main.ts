import { createClient } from '../../client/index.js';
import type { ClientOptions, LogoutReason, RefreshReason } from '../../client/index.js';
import { describeError } from './describe-error.js';
import { formatCountdown } from './format-countdown.js';

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
};

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
  if (!signedIn) return;
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
  await showUser(username);
  ui.title.focus();
}

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
});

const LOGOUT_NOTES: Record<LogoutReason, string> = {
  user: 'Signed out.',
  everywhere: 'Signed out everywhere: every session of this account was revoked.',
  expired: 'The session expired.',
  other_tab: 'Signed out in another tab.',
};

client.on('logout', ({ reason }) => {
  note(LOGOUT_NOTES[reason]);
  if (reason === 'expired') showMessage('Your session has expired. Please sign in again.');
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
  await showUser('');
});
