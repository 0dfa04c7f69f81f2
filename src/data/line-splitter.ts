/**
 * Splits decoded text chunks into lines, scanning each character once: the unfinished line is carried
 * as a list of pieces and joined only when its "\n" arrives, so a long line costs linear time (the old
 * reader concatenated and rescanned the whole carried line for every chunk: quadratic). No I/O here.
 */

/** Limits on what one text source may hold (see README, "Limits on input files"). */
export interface LineLimits {
  /** the longest line, in UTF-16 code units (default 64 Mi: far above any real record, well below V8's string limit) */
  readonly maxLineChars: number;
  /** a ".gz" source may inflate to at most this many times the compressed bytes read so far (default 100) … */
  readonly maxGzipRatio: number;
  /** … plus this many bytes (default 64 MiB), so small, very repetitive files pass */
  readonly gzipAllowanceBytes: number;
}

export const DEFAULT_LINE_LIMITS: LineLimits = {
  maxLineChars: 64 * 1024 * 1024,
  maxGzipRatio: 100,
  gzipAllowanceBytes: 64 * 1024 * 1024,
};

const CR = 13;

function stripCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
}

export class LineSplitter {
  private pieces: string[] = [];
  private carried = 0;
  /** characters scanned for "\n" so far: each input character once */
  scanned = 0;

  /** length of the unfinished line carried to the next chunk */
  get pending(): number {
    return this.carried;
  }

  /** The lines this chunk completes (without "\n" or a trailing "\r"); the rest is carried. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf('\n');
    this.scanned += nl < 0 ? chunk.length : nl + 1;
    while (nl >= 0) {
      const head = chunk.slice(start, nl);
      if (this.pieces.length > 0) {
        this.pieces.push(head);
        lines.push(stripCr(this.pieces.join('')));
        this.pieces = [];
        this.carried = 0;
      } else lines.push(stripCr(head));
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
      this.scanned += (nl < 0 ? chunk.length : nl + 1) - start;
    }
    if (start < chunk.length) {
      this.pieces.push(start === 0 ? chunk : chunk.slice(start));
      this.carried += chunk.length - start;
    }
    return lines;
  }

  /** The final line when the text does not end with "\n" (null when nothing is carried). */
  end(): string | null {
    if (this.carried === 0) return null;
    const last = stripCr(this.pieces.join(''));
    this.pieces = [];
    this.carried = 0;
    return last;
  }
}
