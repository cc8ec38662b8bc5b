import pg from 'pg';
import type { SessionStateView } from '../session-state-view.js';

/** The channel the database triggers notify (migration 0002), with the user id as payload. */
export const SESSION_CHANGE_CHANNEL = 'gatehouse_session_state';

const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5_000;

export interface SessionChangeListenerOptions {
  readonly connectionString: string;
  readonly view: SessionStateView;
  /** Connect and query timeout of the listening connection. */
  readonly timeoutMs: number;
  /** How often the connection proves it is alive; a silent, dead socket would hear nothing. */
  readonly heartbeatMs: number;
  /** Told once when the channel goes down and once when it is back (for one log line each). */
  readonly onStateChange?: (live: boolean) => void;
}

export interface SessionChangeListener {
  close(): Promise<void>;
}

/**
 * Holds one `LISTEN` connection for this process and feeds the view: a notification drops that
 * user's entries; losing the connection (an error, its end, or a heartbeat that fails or times
 * out) stops the view keeping anything new; reconnecting, with backoff, drops the whole view
 * before it is trusted again, since notifications may have been missed meanwhile.
 *
 * @example
 * const listener = listenForSessionChanges({ connectionString, view, timeoutMs: 2000, heartbeatMs: 1000 });
 * // … at shutdown:
 * await listener.close();
 */
export function listenForSessionChanges(options: SessionChangeListenerOptions): SessionChangeListener {
  const { view } = options;
  let closed = false;
  let current: pg.Client | undefined;
  let retryMs = FIRST_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let reportedDown = false;

  const lose = (client: pg.Client): void => {
    if (client !== current) return;
    current = undefined;
    view.setLive(false);
    if (heartbeat !== undefined) clearInterval(heartbeat);
    client.removeAllListeners('notification');
    // A dead socket may never finish a clean end: do not wait for it.
    void client.end().catch(() => undefined);
    if (!reportedDown) {
      reportedDown = true;
      options.onStateChange?.(false);
    }
    scheduleConnect();
  };

  const scheduleConnect = (): void => {
    if (closed) return;
    const delay = Math.floor(retryMs / 2 + Math.random() * (retryMs / 2));
    retryMs = Math.min(retryMs * 2, LONGEST_RETRY_MS);
    retryTimer = setTimeout(connect, delay);
    retryTimer.unref();
  };

  const connect = (): void => {
    if (closed) return;
    const client = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
      keepAlive: true,
      application_name: 'gatehouse-listen',
    });
    current = client;
    client.on('error', () => lose(client));
    client.on('end', () => lose(client));
    client.on('notification', (message) => {
      if (message.channel !== SESSION_CHANGE_CHANNEL) return;
      const userId = Number(message.payload);
      view.changed(Number.isSafeInteger(userId) ? userId : undefined);
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${SESSION_CHANGE_CHANNEL}`))
      .then(() => {
        if (client !== current || closed) return;
        // From here every commit that changes session state reaches us: start trusting memory.
        view.setLive(true);
        retryMs = FIRST_RETRY_MS;
        if (reportedDown) {
          reportedDown = false;
          options.onStateChange?.(true);
        }
        heartbeat = setInterval(() => {
          client.query('SELECT 1').catch(() => lose(client));
        }, options.heartbeatMs);
        heartbeat.unref();
      })
      .catch(() => lose(client));
  };

  connect();
  return {
    async close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      if (heartbeat !== undefined) clearInterval(heartbeat);
      view.setLive(false);
      const client = current;
      current = undefined;
      if (client !== undefined) await client.end().catch(() => undefined);
    },
  };
}
