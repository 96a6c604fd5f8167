// Config problems, shared by every YAML config (the agent's, pathwatch's): each names the file, the line
// where one is known, the dotted path inside the document and what was expected. All problems are reported
// at once; a bad config is refused, never patched with a default.
import { type Document, isNode, type LineCounter } from 'yaml';

export interface ConfigIssue {
  /** Dotted path inside the file, e.g. `paths[0].port`; `(root)` for the document itself. */
  readonly path: string;
  readonly message: string;
  /** 1-based line of the value (or of its parent, for a missing key), when the YAML is known. */
  readonly line?: number;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly file: string;
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(
      issues
        .map((i) => `${file}${i.line === undefined ? '' : `:${i.line}`}: ${i.path}: ${i.message}`)
        .join('\n'),
    );
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/** `a.b[2].c` → `['a', 'b', 2, 'c']`, the key path the yaml Document understands. */
function keysOf(path: string): (string | number)[] {
  if (path === '(root)') return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** Adds the line of each issue's value, or of the nearest parent that exists (a missing key). */
export function withLines(issues: readonly ConfigIssue[], doc: Document, lines: LineCounter): ConfigIssue[] {
  return issues.map((issue) => {
    if (issue.line !== undefined) return issue;
    const keys = keysOf(issue.path);
    for (let n = keys.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
      if (isNode(node) && node.range) return { ...issue, line: lines.linePos(node.range[0]).line };
    }
    return issue;
  });
}
