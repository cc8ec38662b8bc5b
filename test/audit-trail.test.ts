// The audit trail's batching: what services record reaches the store in order, in few writes,
// and survives a database outage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditTrail } from '../src/audit/audit-trail.js';
import { GatehouseError } from '../src/errors.js';
import type { AuditEvent, Store } from '../src/store/store.js';

/** Just the store method the trail uses; `failing` makes writes reject, as an outage would. */
function fakeStore(): { store: Store; writes: AuditEvent[][]; setFailing(failing: boolean): void } {
  const writes: AuditEvent[][] = [];
  let failing = false;
  const store = {
    recordAuditEvents: async (events: readonly AuditEvent[]) => {
      if (failing) throw new GatehouseError('service_unavailable', 'The service is temporarily unavailable; try again shortly.');
      writes.push([...events]);
    },
  } as unknown as Store;
  return { store, writes, setFailing: (value) => (failing = value) };
}

describe('AuditTrail', () => {
  it('writes events in one batch, in order, with the time and the client split out', async () => {
    const { store, writes } = fakeStore();
    let now = 1000;
    const trail = new AuditTrail({ store, clock: () => now++, flushMs: 10_000 });
    trail.record({ event: 'login_succeeded', userId: 1, client: { ip: '203.0.113.7', userAgent: 'UA/1' } });
    trail.record({ event: 'logout', userId: 1 });
    assert.equal(writes.length, 0, 'nothing written on the request path');
    await trail.flush();
    assert.deepEqual(writes, [[
      { event: 'login_succeeded', userId: 1, at: 1000, ip: '203.0.113.7', userAgent: 'UA/1' },
      { event: 'logout', userId: 1, at: 1001, ip: null, userAgent: null },
    ]]);
  });

  it('writes at once when a batch is full, and by itself after the flush delay', async () => {
    const { store, writes } = fakeStore();
    const trail = new AuditTrail({ store, clock: () => 0, flushMs: 20, batchSize: 3 });
    for (let i = 0; i < 3; i += 1) trail.record({ event: 'token_refreshed', userId: i });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.length, 1);
    trail.record({ event: 'token_refreshed', userId: 9 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(writes.map((batch) => batch.length), [3, 1]);
    await trail.close();
  });

  it('keeps what the database refused, says so once, and writes it when the database is back', async () => {
    const { store, writes, setFailing } = fakeStore();
    const states: boolean[] = [];
    const trail = new AuditTrail({ store, clock: () => 0, flushMs: 10_000, queueLimit: 3, onWriteState: (writing) => states.push(writing) });
    setFailing(true);
    for (let i = 1; i <= 2; i += 1) trail.record({ event: 'login_failed', userId: i });
    await trail.flush();
    trail.record({ event: 'login_failed', userId: 3 });
    trail.record({ event: 'login_failed', userId: 4 });
    await trail.flush();
    assert.deepEqual(states, [false], 'one warning for the outage');
    setFailing(false);
    await trail.close();
    assert.deepEqual(states, [false, true]);
    assert.deepEqual(writes.flat().map((e) => e.userId), [2, 3, 4], 'the oldest went past the limit; the rest in order');
  });

  it('drops, and reports, a batch the database refuses for its content, and goes on', async () => {
    let refuseNext = true;
    const writes: AuditEvent[][] = [];
    const store = {
      recordAuditEvents: async (events: readonly AuditEvent[]) => {
        if (refuseNext) {
          refuseNext = false;
          throw Object.assign(new Error('invalid byte sequence'), { code: '22021' });
        }
        writes.push([...events]);
      },
    } as unknown as Store;
    const refused: number[] = [];
    const trail = new AuditTrail({ store, clock: () => 0, flushMs: 10_000, onRefused: (events) => refused.push(events) });
    trail.record({ event: 'login_failed', username: 'bad' });
    await trail.flush();
    trail.record({ event: 'login_failed', username: 'good' });
    await trail.close();
    assert.deepEqual(refused, [1]);
    assert.deepEqual(writes.flat().map((e) => e.username), ['good']);
  });
});
