// One long-lived raw-socket writer per (netns, interface): Debian's `socat` holding a PF_PACKET socket
// that sends to the interface by index, fed whole link-level frames (frames.ts) on its stdin. The socket
// is opened with protocol 0, so the kernel delivers it no received frame at all: socat's `INTERFACE:`
// address would open it for every protocol and have the kernel copy each frame of a busy LAN to a
// socket nobody reads.
// Why: exec'ing arping/na6 at claim time cost 1–3 ms of exec, interface lookup and socket setup before
// the first frame left, on the claim's critical path; here the socket is open before the claim, and
// announcing is one write to a pipe. Node itself has no PF_PACKET socket.
//
// Framing: every frame is FRAME_LENGTH bytes, written in one write() (≤ PIPE_BUF, so atomic), and
// socat reads with `-b FRAME_LENGTH`, so each read is exactly one frame and each frame one sendto().
//
// A socat that exits (killed, interface gone) is started again after a backoff (100 ms doubling to
// 5 s, reset once one has run for a minute); a claim that finds none running starts one on the spot
// and writes into its pipe at once (the frame leaves as soon as socat has its socket).
import { type ChildProcess, spawn } from 'node:child_process';
import { endianness } from 'node:os';
import { inNetns } from './command.js';
import { FRAME_LENGTH } from './frames.js';

const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 5000;
/** A socat that ran this long was healthy: the next failure starts the backoff from the beginning. */
const HEALTHY_AFTER_MS = 60_000;
const STDERR_MAX = 2000;

/** Interface names taken as they are (also in sysfs paths); the kernel's own rules are looser. */
const PLAIN_IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;

/**
 * socat's generic address for a packet socket (AF_PACKET 17, SOCK_RAW 3, protocol 0) sending to
 * `ifindex`: the sockaddr_ll after its family, in hex — protocol 0, the index in host byte order,
 * hardware type and packet type 0, a 6-byte broadcast address (unused for SOCK_RAW: the frame has its header).
 */
export function packetAddress(ifindex: number): string {
  const sll = Buffer.alloc(18);
  if (endianness() === 'LE') sll.writeInt32LE(ifindex, 2);
  else sll.writeInt32BE(ifindex, 2);
  sll.writeUInt8(6, 9);
  sll.fill(0xff, 10, 16);
  return `SOCKET-SENDTO:17:3:0:x${sll.toString('hex')}`;
}

export interface AnnouncerEvents {
  /** socat exited or could not start; `error` says what to do. */
  readonly onExit?: (error: string) => void;
}

export class LinkAnnouncer {
  #child: ChildProcess | null = null;
  #closed = false;
  #restart: NodeJS.Timeout | null = null;
  #backoff_ms = RESTART_FIRST_MS;
  /** The interface's index the socket sends to; unknown until the first start. */
  #ifindex: number | null = null;

  constructor(
    readonly ifname: string,
    readonly netns: string | undefined,
    private readonly events: AnnouncerEvents = {},
  ) {}

  /** Why this interface name is refused; null when it is a plain one. */
  static refusal(ifname: string): string | null {
    return PLAIN_IFNAME.test(ifname) ? null : `of at most 15 letters, digits and _ . @ -, got "${ifname}"`;
  }

  /** The running socat's pid (tests kill it to prove the restart). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Starts socat on the interface `ifindex` unless one runs there; idempotent. A new index (the
   * interface was recreated) replaces a socat still sending to the old one. A restart already pending
   * keeps its backoff (a socat dying at once must not be restarted in a loop); a claim's write does not wait for it.
   */
  start(ifindex: number): void {
    if (this.#child !== null && ifindex !== this.#ifindex) this.#stop();
    this.#ifindex = ifindex;
    if (this.#restart === null) this.#spawn();
  }

  #spawn(): void {
    const ifindex = this.#ifindex;
    if (
      this.#closed ||
      this.#child !== null ||
      ifindex === null ||
      LinkAnnouncer.refusal(this.ifname) !== null
    )
      return;
    if (this.#restart !== null) {
      clearTimeout(this.#restart);
      this.#restart = null;
    }
    const [file, args] = inNetns(this.netns, 'socat', [
      '-u',
      '-b',
      String(FRAME_LENGTH),
      'STDIN',
      packetAddress(ifindex),
    ]);
    const child = spawn(file, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    const started_ms = performance.now();
    let stderr = '';
    this.#child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      if (stderr.length < STDERR_MAX) stderr += s;
    });
    // A write racing socat's death is reported by its exit, not thrown.
    child.stdin?.on('error', () => undefined);
    child.once('error', (err) => this.#exited(child, `cannot run socat: ${err.message}; install socat`, 0));
    child.once('exit', (code, signal) => {
      const lived_ms = performance.now() - started_ms;
      const why = lastError(stderr) ?? `exit ${code ?? signal}`;
      this.#exited(child, `announcer on ${this.ifname} stopped: ${why}`, lived_ms);
    });
    // An idle announcer must not keep the agent (or a test) alive on its own.
    for (const s of [child, child.stdin, child.stderr] as { unref?: () => void }[]) s?.unref?.();
  }

  /**
   * Writes one frame (FRAME_LENGTH bytes) to the running socat, starting one first when none runs.
   * False only when nothing could take it (closed, never started, or socat could not even be spawned).
   */
  write(frame: Buffer): boolean {
    if (frame.length !== FRAME_LENGTH)
      throw new RangeError(`frame of ${frame.length} bytes, not ${FRAME_LENGTH}`);
    if (this.#closed || LinkAnnouncer.refusal(this.ifname) !== null) return false;
    const alive = this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
    if (!alive) {
      this.#child = null;
      this.#spawn();
    }
    const stdin = this.#child?.stdin;
    // No pid: spawn itself failed (socat not installed here); its 'error' event follows.
    if (this.#child?.pid === undefined || stdin === null || stdin === undefined || stdin.destroyed)
      return false;
    stdin.write(frame);
    return true;
  }

  /** Stops socat for good (the action is dropped or the agent stops). */
  close(): void {
    this.#closed = true;
    if (this.#restart !== null) clearTimeout(this.#restart);
    this.#restart = null;
    this.#stop();
  }

  #stop(): void {
    const child = this.#child;
    this.#child = null;
    child?.stdin?.end();
    child?.kill('SIGTERM');
  }

  #exited(child: ChildProcess, error: string, lived_ms: number): void {
    if (this.#child !== child) return;
    this.#child = null;
    this.events.onExit?.(error);
    if (this.#closed) return;
    if (lived_ms >= HEALTHY_AFTER_MS) this.#backoff_ms = RESTART_FIRST_MS;
    const wait_ms = this.#backoff_ms;
    this.#backoff_ms = Math.min(RESTART_MAX_MS, this.#backoff_ms * 2);
    this.#restart = setTimeout(() => {
      this.#restart = null;
      this.#spawn();
    }, wait_ms);
    this.#restart.unref();
  }
}

/** socat's last error line (`... E message`), without its timestamp and pid. */
function lastError(stderr: string): string | null {
  const lines = stderr.split('\n').filter((l) => / E /.test(l));
  const last = lines.at(-1);
  return last === undefined ? null : last.replace(/^.* E /, '');
}
