// Request log lines are batched into writes of at most 4 KB (atomic on a shared pipe), flushed
// on a timer and at shutdown; request ids are unique without per-request randomness.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogBatch } from '../src/http/log-batch.js';
import { requestIdGenerator } from '../src/http/request-id.js';

function recordingSink(): { writes: string[]; write(text: string): void } {
  const writes: string[] = [];
  return { writes, write: (text: string) => void writes.push(text) };
}

const line = (n: number): string => `${JSON.stringify({ msg: 'request', n, pad: 'x'.repeat(200) })}\n`;

describe('LogBatch', () => {
  it('writes lines together, in order, never more than the byte limit at once', () => {
    const sink = recordingSink();
    const batch = new LogBatch(sink, 4096, 60_000);
    const lines = Array.from({ length: 100 }, (_, n) => line(n));
    for (const text of lines) batch.write(text);
    assert.ok(sink.writes.length > 1 && sink.writes.length < 20, 'batched, not one write per line');
    for (const text of sink.writes) assert.ok(Buffer.byteLength(text) <= 4096, 'a write fits in PIPE_BUF');
    batch.close();
    assert.equal(sink.writes.join(''), lines.join(''), 'every line, once, in order');
  });

  it('writes what waits on its timer, without more lines arriving', async () => {
    const sink = recordingSink();
    const batch = new LogBatch(sink, 4096, 20);
    batch.write(line(1));
    assert.deepEqual(sink.writes, []);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(sink.writes, [line(1)]);
    batch.close();
  });

  it('counts bytes, not characters, so multi-byte text cannot push a write past the limit', () => {
    const sink = recordingSink();
    const batch = new LogBatch(sink, 4096, 60_000);
    const wide = `${JSON.stringify({ path: 'é'.repeat(900) })}\n`; // ~1,800 bytes, ~900 characters
    for (let i = 0; i < 6; i++) batch.write(wide);
    batch.close();
    for (const text of sink.writes) assert.ok(Buffer.byteLength(text) <= 4096);
    assert.equal(sink.writes.join(''), wide.repeat(6));
  });
});

describe('request ids', () => {
  it('are distinct within a process and between processes', () => {
    const first = requestIdGenerator();
    const second = requestIdGenerator();
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      ids.add(first());
      ids.add(second());
    }
    assert.equal(ids.size, 20_000);
    assert.match(first(), /^[0-9a-f]{12}-[0-9a-z]+$/);
  });
});
