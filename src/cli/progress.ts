/**
 * Progress of long CLI jobs on stderr (stdout stays for results, --json and pipes): "embed-corpus 512/1033
 * (50%) 6 s, eta 6 s". On a terminal one line is rewritten in place (\r) at most once a second; elsewhere (a
 * log file, a pipe) plain lines at most every two seconds. The first and the last update of a task are always
 * shown, so a slow run is visible as such and a fast one still says what it did.
 */
export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface ProgressExtra {
  /** the caller's own estimate of the seconds left (the trainer's, which knows about resumes) */
  etaS?: number;
  /** more words after the counts (loss, learning rate…) */
  detail?: string;
}

const secs = (s: number) =>
  s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

export class Reporter {
  /** start: when the task began (the reporter's previous event); first: its first update, the rate's origin */
  private readonly tasks = new Map<
    string,
    { start: number; shown: number; first?: { t: number; done: number } }
  >();
  /** when the reporter last heard anything: a task seen for the first time started then */
  private lastActivity: number;
  /** a TTY line is on screen without its newline */
  private open = false;
  private readonly intervalMs: number;

  constructor(
    private readonly out: ProgressStream,
    private readonly now: () => number = Date.now,
    intervalMs?: number,
  ) {
    this.intervalMs = intervalMs ?? (out.isTTY ? 1000 : 2000);
    this.lastActivity = now();
  }

  /** A line of its own (ends the in-place progress line first). */
  readonly log = (msg: string): void => {
    // the in-place line it ends comes back with the next update
    if (this.open) for (const task of this.tasks.values()) task.shown = -Infinity;
    this.close();
    this.out.write(msg + '\n');
    this.lastActivity = this.now();
  };

  /** `done` of `total` of the task `what`; throttled, except the first and the final update. */
  progress(what: string, done: number, total: number, extra: ProgressExtra = {}): void {
    const t = this.now();
    let task = this.tasks.get(what);
    if (!task) this.tasks.set(what, (task = { start: this.lastActivity, shown: -Infinity }));
    this.lastActivity = t;
    const final = done >= total;
    if (!final && t - task.shown < this.intervalMs) return;
    // off a terminal a line says what was done: "0 of n" is left to the next one
    if (done <= 0 && !final && !this.out.isTTY) return;
    task.shown = t;
    task.first ??= { t, done };
    // the rate since the first update (the time before it may include loading a model)
    const rate = done > task.first.done ? (done - task.first.done) / ((t - task.first.t) / 1000) : 0;
    const etaS = extra.etaS ?? (rate > 0 ? (total - done) / rate : undefined);
    const line = this.format(what, done, total, (t - task.start) / 1000, final, { ...extra, etaS });
    if (final) this.tasks.delete(what);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
      this.open = !final;
    } else {
      this.out.write(line + '\n');
    }
  }

  /** Ends an in-place line left open (call before exiting). */
  close(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }

  private format(
    what: string,
    done: number,
    total: number,
    elapsedS: number,
    final: boolean,
    extra: ProgressExtra,
  ): string {
    const pct = total > 0 ? ` (${Math.floor((100 * done) / total)}%)` : '';
    const eta = final || extra.etaS === undefined ? '' : `, eta ${secs(extra.etaS)}`;
    const detail = extra.detail ? ` ${extra.detail}` : '';
    return `${what} ${done}/${total}${pct}${detail}, ${secs(elapsedS)}${eta}`;
  }
}
