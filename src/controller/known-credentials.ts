// The report route authenticates before the body is read, as every route does, without a store read
// per report: node credentials seen to belong to a live node are kept in memory (by hash, with their
// node). The write batch still checks every report against the store, so an entry gone stale (the
// node removed or its credential reissued, here or through another controller) lets at most the
// bodies already in flight be read: the batch refuses them, and the refusal drops the entry.

export interface KnownNode {
  readonly id: string;
  readonly site_id: string;
}

/** Bound on the entries: far above a fleet's nodes; past it the memory starts over (a read each). */
const KNOWN_MAX = 200_000;

export class KnownCredentials {
  private readonly nodes = new Map<string, KnownNode>();

  constructor(private readonly max = KNOWN_MAX) {}

  /** The live node a credential hash was seen to belong to, if it was. */
  nodeOf(hash: string): KnownNode | undefined {
    return this.nodes.get(hash);
  }

  remember(hash: string, node: KnownNode): void {
    if (this.nodes.size >= this.max) this.nodes.clear();
    this.nodes.set(hash, { id: node.id, site_id: node.site_id });
  }

  /** The store refused the credential: the next request with it is looked up again. */
  forget(hash: string): void {
    this.nodes.delete(hash);
  }
}
