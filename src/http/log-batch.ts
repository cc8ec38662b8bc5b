/** Where a {@link LogBatch} hands its joined lines: a synchronous pino destination. */
export interface LogSink {
  write(text: string): unknown;
}

/**
 * Collects log lines and writes them joined, at most `maxBytes` at a time and at least every
 * `intervalMs`, so a busy worker makes one write per ~16 request lines. Each write stays within
 * PIPE_BUF (4096 bytes), so lines from workers sharing stdout never interleave. sonic-boom's own
 * `minLength` batching re-measures and re-flattens its whole pending string on every line, which
 * cost more than the line itself.
 *
 * @example
 * const batch = new LogBatch(destination({ dest: 1, sync: true }), 4096, 250);
 * const requests = pino({ level: 'info' }, batch);
 */
export class LogBatch {
  private lines: string[] = [];
  /** UTF-16 code units waiting: a line's bytes are at least its length, and equal for ASCII. */
  private units = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: LogSink,
    private readonly maxBytes: number,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
    // pino flushes its own destination on exit, but knows nothing of lines waiting here.
    process.once('exit', () => this.flush());
  }

  /** pino's stream interface: one serialized line, newline included. */
  write(line: string): boolean {
    if (this.units + line.length > this.maxBytes) this.flush();
    this.lines.push(line);
    this.units += line.length;
    return true;
  }

  /**
   * Writes the waiting lines (synchronously, with a synchronous sink). Bytes are counted once per
   * batch, not per line (measuring a freshly built line first flattened it, a copy per request);
   * only a batch that multi-byte text took past the limit is split, line by line.
   */
  flush(): void {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    this.units = 0;
    const text = lines.length === 1 ? (lines[0] as string) : lines.join('');
    if (lines.length === 1 || Buffer.byteLength(text) <= this.maxBytes) {
      this.sink.write(text);
      return;
    }
    let part: string[] = [];
    let bytes = 0;
    for (const line of lines) {
      const size = Buffer.byteLength(line);
      if (bytes + size > this.maxBytes && part.length > 0) {
        this.sink.write(part.join(''));
        part = [];
        bytes = 0;
      }
      part.push(line);
      bytes += size;
    }
    this.sink.write(part.join(''));
  }

  /** Writes what waits and stops the timer; later lines still go out at exit. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
