// keepalived.conf's block syntax, read by hand: there is no npm parser for it, and the grammar is small.
// A statement is the words of one line; `{` opens a block that belongs to the statement before it (on
// the same line or alone on the next), `}` closes it. `#` and `!` start a comment outside double quotes;
// a quoted string is one word; a line ending in `\` goes on on the next. `include <glob>` splices the
// statements of the matching files in place, relative to the including file's folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface Where {
  readonly file: string;
  readonly line: number;
}

export interface Statement {
  /** The keyword, then its arguments; quoted words are unquoted. */
  readonly words: readonly string[];
  readonly at: Where;
  /** The statements inside `{ … }`, or null when the statement has no block. */
  readonly block: readonly Statement[] | null;
}

/** Why the file could not be read as keepalived syntax; `at` names the place. */
export class KeepalivedSyntaxError extends Error {
  readonly code = 'KEEPALIVED_SYNTAX';
  constructor(
    readonly at: Where,
    message: string,
  ) {
    super(`${at.file}:${at.line}: ${message}`);
  }
}

/** Bounds: an include loop or a glob over a huge folder must end with an error, not hang. */
const MAX_INCLUDE_DEPTH = 8;
const MAX_FILES = 256;
const MAX_BYTES = 4 * 1024 * 1024;

type Token =
  | { readonly kind: 'word'; readonly text: string; readonly line: number }
  | { readonly kind: 'open' | 'close' | 'end'; readonly line: number };

export function parseKeepalived(file: string): Statement[] {
  const state = { files: 0, bytes: 0 };
  return parseFile(resolve(file), 0, state, null);
}

function parseFile(
  file: string,
  depth: number,
  budget: { files: number; bytes: number },
  from: Where | null,
) {
  const at: Where = from ?? { file, line: 0 };
  if (depth > MAX_INCLUDE_DEPTH)
    throw new KeepalivedSyntaxError(at, `includes nest deeper than ${MAX_INCLUDE_DEPTH} (a loop?)`);
  if (++budget.files > MAX_FILES)
    throw new KeepalivedSyntaxError(at, `more than ${MAX_FILES} files included`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeepalivedSyntaxError(at, `cannot read ${file}: ${(err as Error).message}`);
  }
  budget.bytes += text.length;
  if (budget.bytes > MAX_BYTES)
    throw new KeepalivedSyntaxError(at, `more than ${MAX_BYTES} bytes of configuration`);
  const tokens = tokenize(file, text);
  const reader = { tokens, i: 0 };
  const include = (words: readonly string[], where: Where): Statement[] =>
    words
      .slice(1)
      .flatMap((pattern) =>
        expandGlob(resolve(dirname(file), pattern), where).flatMap((f) =>
          parseFile(f, depth + 1, budget, where),
        ),
      );
  return block(file, reader, null, include);
}

function tokenize(file: string, text: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const first = n + 1;
    let line = lines[n]!;
    // A trailing backslash continues the statement on the next line.
    while (/\\\s*$/.test(stripComment(line)) && n + 1 < lines.length)
      line = `${line.replace(/\\\s*$/, ' ')}${lines[++n]}`;
    lineTokens(file, line, first, out);
    out.push({ kind: 'end', line: first });
  }
  return out;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '#' || c === '!')) return line.slice(0, i);
  }
  return line;
}

function lineTokens(file: string, line: string, n: number, out: Token[]): void {
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '#' || c === '!') return;
    else if (c === '{' || c === '}') {
      out.push({ kind: c === '{' ? 'open' : 'close', line: n });
      i++;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0)
        throw new KeepalivedSyntaxError({ file, line: n }, 'a quoted string is not closed on its line');
      out.push({ kind: 'word', text: line.slice(i + 1, end), line: n });
      i = end + 1;
    } else {
      let j = i;
      while (j < line.length && !/[\s{}"#!]/.test(line[j]!)) j++;
      out.push({ kind: 'word', text: line.slice(i, j), line: n });
      i = j;
    }
  }
}

type Include = (words: readonly string[], at: Where) => Statement[];

function block(
  file: string,
  r: { tokens: Token[]; i: number },
  opened: Where | null,
  include: Include,
): Statement[] {
  const out: Statement[] = [];
  let words: string[] = [];
  let at: Where = { file, line: 0 };
  const flush = (): void => {
    if (words.length === 0) return;
    if (words[0] === 'include') out.push(...include(words, at));
    else out.push({ words, at, block: null });
    words = [];
  };
  while (r.i < r.tokens.length) {
    const t = r.tokens[r.i++]!;
    if (t.kind === 'word') {
      if (words.length === 0) at = { file, line: t.line };
      words.push(t.text);
    } else if (t.kind === 'end') flush();
    else if (t.kind === 'open') {
      const here = { file, line: t.line };
      const inner = block(file, r, here, include);
      if (words.length > 0) {
        out.push({ words, at, block: inner });
        words = [];
      } else {
        // `{` alone on the line after its keyword.
        const last = out.at(-1);
        if (last === undefined || last.block !== null)
          throw new KeepalivedSyntaxError(here, '`{` without a keyword before it');
        out[out.length - 1] = { ...last, block: inner };
      }
    } else {
      flush();
      if (opened === null)
        throw new KeepalivedSyntaxError({ file, line: t.line }, '`}` without a `{` to close');
      return out;
    }
  }
  flush();
  if (opened !== null) throw new KeepalivedSyntaxError(opened, 'this `{` is never closed');
  return out;
}

/** `*` and `?` in the file name part only (keepalived's configs use `conf.d/*.conf`); sorted, like glob(3). */
function expandGlob(pattern: string, at: Where): string[] {
  const dir = dirname(pattern);
  const name = basename(pattern);
  if (/[*?[]/.test(dir))
    throw new KeepalivedSyntaxError(at, `include ${pattern}: wildcards are supported in the file name only`);
  if (!/[*?]/.test(name)) return [pattern];
  const re = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new KeepalivedSyntaxError(at, `include ${pattern}: ${(err as Error).message}`);
  }
  return names
    .filter((n) => re.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n))
    .filter((f) => statSync(f).isFile());
}
