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
  private bytes = 0;
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
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.maxBytes) this.flush();
    this.lines.push(line);
    this.bytes += size;
    return true;
  }

  /** Writes the waiting lines (synchronously, with a synchronous sink). */
  flush(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    this.sink.write(text);
  }

  /** Writes what waits and stops the timer; later lines still go out at exit. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
