// "Resolve once, forget on failure": a driver's start-up resolution (ids, our interface) is computed once and
// shared by every verb, but forgotten when it fails, so that the next verb (a claim during the failover)
// tries again instead of failing forever.
export class Resolved<T> {
  #value: Promise<T> | null = null;

  get(start: () => Promise<T>): Promise<T> {
    if (this.#value === null) {
      const p = start();
      p.catch(() => {
        if (this.#value === p) this.#value = null;
      });
      this.#value = p;
    }
    return this.#value;
  }
}

/** One value per key per process (a metadata URL's discovery); a failure is forgotten so the next call retries. */
export class ResolvedMap<T> {
  readonly #entries = new Map<string, Resolved<T>>();

  get(key: string, start: () => Promise<T>): Promise<T> {
    let hit = this.#entries.get(key);
    if (!hit) {
      hit = new Resolved<T>();
      this.#entries.set(key, hit);
    }
    return hit.get(start);
  }
}
