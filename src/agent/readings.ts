// Turns monitor readings into core inputs, each only when its verdict changes:
// WAN is down only when every WAN probe fails (the reference's "all probes" rule); the HA port monitor
// drives `ha-link`; any other link monitor (a service interface) and each user check is a `check`.
import type { Input } from '../core/index.js';
import type { Reading } from '../monitors/types.js';

export class Readings {
  readonly #push: (input: Input) => void;
  readonly #wan = new Map<string, boolean>();
  readonly #links = new Map<string, boolean>();
  readonly #checks = new Map<string, boolean>();
  #wanVerdict: boolean | null = null;
  #linkVerdict: boolean | null = null;

  readonly #haPort: string | null;

  /** `haPort`: the name of the link monitor that watches the HA port, if any. */
  constructor(haPort: string | null, push: (input: Input) => void) {
    this.#haPort = haPort;
    this.#push = push;
  }

  onReading(r: Reading): void {
    if (r.kind === 'wan-probe') this.#onWan(r.name, r.ok);
    else if (r.kind === 'link' && r.name === this.#haPort) this.#onLink(r.name, r.up);
    else if (r.kind === 'link') this.#onCheck(r.name, r.up);
    else this.#onCheck(r.name, r.ok);
  }

  #onWan(name: string, ok: boolean): void {
    this.#wan.set(name, ok);
    // A probe that has not reported yet counts for nothing; the core's 10 s rule absorbs the first seconds.
    const verdict = [...this.#wan.values()].some((v) => v);
    if (verdict === this.#wanVerdict) return;
    this.#wanVerdict = verdict;
    this.#push({ kind: 'wan', ok: verdict });
  }

  #onLink(name: string, up: boolean): void {
    this.#links.set(name, up);
    const verdict = [...this.#links.values()].every((v) => v);
    if (verdict === this.#linkVerdict) return;
    this.#linkVerdict = verdict;
    this.#push({ kind: 'ha-link', up: verdict });
  }

  #onCheck(name: string, ok: boolean): void {
    if (this.#checks.get(name) === ok) return;
    this.#checks.set(name, ok);
    this.#push({ kind: 'check', name, ok });
  }

  /**
   * A monitor removed by a reload: its verdict no longer counts. A failed check is cleared in core; WAN
   * and HA-port verdicts are recomputed from the monitors that remain.
   */
  forget(name: string): void {
    if (this.#checks.delete(name)) this.#push({ kind: 'check', name, ok: true });
    if (this.#wan.delete(name) && this.#wan.size > 0) {
      const verdict = [...this.#wan.values()].some((v) => v);
      if (verdict !== this.#wanVerdict) {
        this.#wanVerdict = verdict;
        this.#push({ kind: 'wan', ok: verdict });
      }
    } else if (this.#wanVerdict === false && this.#wan.size === 0) {
      // No WAN probe left: nothing says the WAN is down.
      this.#wanVerdict = null;
      this.#push({ kind: 'wan', ok: true });
    }
    if (this.#links.delete(name)) {
      const verdict = [...this.#links.values()].every((v) => v);
      if (verdict !== this.#linkVerdict) {
        this.#linkVerdict = verdict;
        this.#push({ kind: 'ha-link', up: verdict });
      }
    }
  }

  /** For the status page: the latest verdict of every monitor. */
  snapshot(): {
    wan: Record<string, boolean>;
    links: Record<string, boolean>;
    checks: Record<string, boolean>;
  } {
    return {
      wan: Object.fromEntries(this.#wan),
      links: Object.fromEntries(this.#links),
      checks: Object.fromEntries(this.#checks),
    };
  }
}
