// The lab's view of one agent process: its state, followed from its JSON log lines (pino `time` is epoch
// ms, so every figure shares one clock with the lab), and its life (start, SIGKILL, restart).
import { createInterface } from 'node:readline';
import type { SpawnedProcess } from './types.js';

export type NodeName = 'a' | 'b';

export interface StateChange {
  readonly at_ms: number;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export interface AgentLine {
  readonly time?: number;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** Bound on kept log lines (only the recent ones explain a failed step). */
const LINES_MAX = 2000;

export class LabAgent {
  readonly node: NodeName;
  readonly name: string;
  state = 'down';
  /** The agent's status endpoint, from its `agent started` line (where it really listens). */
  statusUrl: string | null = null;
  readonly changes: StateChange[] = [];
  readonly lines: AgentLine[] = [];
  /** When the agent last asked its actions to claim or release, and when an action last finished. */
  #intent_ms: number | null = null;
  #finished_ms = 0;
  #proc: SpawnedProcess | null = null;
  #stderr = '';
  #onLine: (agent: LabAgent, line: AgentLine) => void;

  constructor(node: NodeName, name: string, onLine: (agent: LabAgent, line: AgentLine) => void) {
    this.node = node;
    this.name = name;
    this.#onLine = onLine;
  }

  get running(): boolean {
    return this.#proc !== null;
  }

  attach(proc: SpawnedProcess): void {
    this.#proc = proc;
    this.#intent_ms = null;
    this.state = 'starting';
    const child = proc.child;
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (text) => this.#line(text));
    child.stderr?.on('data', (b: Buffer) => {
      if (this.#stderr.length < 8192) this.#stderr += b.toString('utf8');
    });
    void proc.exited.then(() => {
      if (this.#proc === proc) {
        this.#proc = null;
        this.state = 'down';
      }
    });
  }

  #line(text: string): void {
    let line: AgentLine;
    try {
      line = JSON.parse(text) as AgentLine;
    } catch {
      line = { time: Date.now(), msg: text };
    }
    this.lines.push(line);
    if (typeof line.status_url === 'string') this.statusUrl = line.status_url;
    const at = typeof line.time === 'number' ? line.time : Date.now();
    if (line.msg === 'claiming the traffic' || line.msg === 'releasing the traffic') this.#intent_ms = at;
    if (line.msg === 'action done' || line.msg === 'action failed') this.#finished_ms = at;
    if (this.lines.length > LINES_MAX) this.lines.splice(0, this.lines.length - LINES_MAX);
    if (line.msg === 'state change') {
      const change: StateChange = {
        at_ms: typeof line.time === 'number' ? line.time : Date.now(),
        from: String(line.from),
        to: String(line.to),
        reason: String(line.reason ?? ''),
      };
      this.changes.push(change);
      this.state = change.to;
    }
    this.#onLine(this, line);
  }

  /** No claim or release still running: the last intent has been carried out (or given up). */
  get settled(): boolean {
    return this.#intent_ms === null || this.#finished_ms >= this.#intent_ms;
  }

  /** When this node last entered `state` at or after `since_ms`, or null. */
  entered(state: string, since_ms: number): number | null {
    const hit = this.changes.find((c) => c.to === state && c.at_ms >= since_ms);
    return hit?.at_ms ?? null;
  }

  /** What went wrong, for a failed step: the last lines of stderr. */
  stderrTail(): string {
    return this.#stderr.trim().split('\n').slice(-5).join('\n');
  }

  /** SIGKILL (or another signal) and wait for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.#proc;
    if (proc === null) return;
    proc.kill(signal);
    await proc.exited;
  }
}
