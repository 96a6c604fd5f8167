// The live timeline. On a terminal: one spinner line for what the lab is waiting for (with its elapsed
// time and deadline), redrawn in place, and every event printed above it. Piped: plain timestamped lines
// only, so a log file reads the same story without control characters.
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPIN_MS = 80;

export interface TimelineOptions {
  readonly tty: boolean;
  readonly write: (text: string) => void;
  readonly now?: () => number;
}

interface Waiting {
  readonly label: string;
  readonly since_ms: number;
  readonly deadline_ms: number;
}

export class Timeline {
  readonly #o: TimelineOptions;
  readonly #now: () => number;
  #t0_ms: number;
  #waiting: Waiting | null = null;
  #timer: NodeJS.Timeout | null = null;
  #frame = 0;
  #drawn = false;
  #closed = false;

  constructor(o: TimelineOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#t0_ms = this.#now();
  }

  /** Later lines are timed from here (the scenario's start). */
  zero(at_ms = this.#now()): void {
    this.#t0_ms = at_ms;
  }

  get t0_ms(): number {
    return this.#t0_ms;
  }

  /** A line of the story, stamped with its time since zero. */
  line(text: string, at_ms = this.#now()): void {
    this.#print(`${stamp(at_ms - this.#t0_ms)}  ${text}`);
  }

  /** A line without a time stamp (headers, the table). */
  plain(text: string): void {
    this.#print(text);
  }

  /** Shows what the lab waits for until done() (a spinner on a terminal, nothing when piped). */
  wait(label: string, deadline_ms: number): { done(): void } {
    this.#waiting = { label, since_ms: this.#now(), deadline_ms };
    if (this.#o.tty && this.#timer === null) {
      this.#timer = setInterval(() => this.#draw(), SPIN_MS);
      this.#timer.unref();
    }
    this.#draw();
    return {
      done: () => {
        this.#waiting = null;
        this.#clear();
        if (this.#timer !== null) clearInterval(this.#timer);
        this.#timer = null;
      },
    };
  }

  /** Stops the story: lines arriving later (a straggling agent log) are dropped. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#clear();
  }

  #print(text: string): void {
    if (this.#closed) return;
    this.#clear();
    this.#o.write(`${text}\n`);
    this.#draw();
  }

  #draw(): void {
    const w = this.#waiting;
    if (!this.#o.tty || w === null) return;
    this.#frame = (this.#frame + 1) % FRAMES.length;
    const elapsed = (this.#now() - w.since_ms) / 1000;
    const line = `${FRAMES[this.#frame]} ${w.label}  ${elapsed.toFixed(1)} s (deadline ${(w.deadline_ms / 1000).toFixed(0)} s)`;
    this.#o.write(`\r\x1b[2K\x1b[36m${line}\x1b[0m`);
    this.#drawn = true;
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#o.write('\r\x1b[2K');
    this.#drawn = false;
  }
}

function stamp(ms: number): string {
  const s = (ms / 1000).toFixed(3);
  return `${ms >= 0 ? '+' : ''}${s} s`.padStart(10);
}
