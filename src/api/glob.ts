// Shell-style globs over collection names, as `spec.selector.patterns` defines them.
//
// Matched without a regular expression: a glob turned into a backtracking
// RegExp (`a*a*a*b` -> /^a.*a.*a.*b$/) takes exponential time on a name a
// Milvus server controlled by a tenant may return. The matcher below is the
// two-pointer wildcard algorithm: on a mismatch it only ever returns to the
// LAST `*` seen, so a match costs at most O(pattern × name) steps, about
// 65,000 for the largest the schema allows (255 × 255).

/** One character of a name is matched by one of these; `*` is kept apart. */
type Token =
  | { readonly kind: 'char'; readonly char: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'class'; readonly negate: boolean; readonly ranges: readonly (readonly [string, string])[] }
  | { readonly kind: 'star' };

export interface Glob {
  /** The glob as written. */
  readonly source: string;
  /** True when the whole name matches the glob. */
  test(name: string): boolean;
  /** The literal characters every matching name starts with (`c_01_` for `c_01_*`); may be empty. */
  readonly prefix: string;
}

export type GlobResult = { ok: true; glob: Glob } | { ok: false; error: string };

/**
 * Members of a class body, read as the previous RegExp-based implementation
 * read them: `a-z` is a range, a `-` first, last or right after a range is
 * literal, every other character stands for itself.
 */
function classRanges(body: string): [string, string][] {
  const ranges: [string, string][] = [];
  for (let j = 0; j < body.length; j++) {
    const lo = body.charAt(j);
    if (body.charAt(j + 1) === '-' && j + 2 < body.length) {
      ranges.push([lo, body.charAt(j + 2)]);
      j += 2;
    } else ranges.push([lo, lo]);
  }
  return ranges;
}

/** The first range written high-to-low, reported only when the glob has no other error (as before). */
function reversedRange(tokens: readonly Token[], positions: readonly number[]): string | undefined {
  for (const [k, t] of tokens.entries()) {
    if (t.kind !== 'class') continue;
    const bad = t.ranges.find(([lo, hi]) => hi < lo);
    if (bad) return `reversed range "${bad[0]}-${bad[1]}" in the class at position ${positions[k]}; write it as "${bad[1]}-${bad[0]}"`;
  }
  return undefined;
}

type Parsed<T> = { ok: true } & T | { ok: false; error: string };

/** The `[...]` class opening at `open`; `close` is the index of its `]`. */
function parseClass(glob: string, open: number): Parsed<{ token: Token; close: number }> {
  // A `]` right after `[` (or `[!`) would close an empty class, so the search starts one further.
  const close = glob.indexOf(']', open + 2);
  if (close === -1) return { ok: false, error: `unclosed "[" at position ${open + 1}; close the class with "]"` };
  let body = glob.slice(open + 1, close);
  const negate = body.startsWith('!');
  if (negate) body = body.slice(1);
  if (body === '') return { ok: false, error: `empty character class at position ${open + 1}` };
  return { ok: true, token: { kind: 'class', negate, ranges: classRanges(body) }, close };
}

function parse(glob: string): Parsed<{ tokens: Token[] }> {
  const tokens: Token[] = [];
  const positions: number[] = [];
  for (let i = 0; i < glob.length; i++) {
    positions[tokens.length] = i + 1;
    const c = glob.charAt(i);
    if (c === '[') {
      const parsed = parseClass(glob, i);
      if (!parsed.ok) return parsed;
      tokens.push(parsed.token);
      i = parsed.close;
    } else if (c === ']' || c === '!') {
      return { ok: false, error: `unexpected "${c}" at position ${i + 1}; "${c}" is only allowed inside a [class]` };
    } else if (c === '*') {
      // `**` matches what `*` matches; one star keeps the matcher's last-star rule simple.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else tokens.push(c === '?' ? { kind: 'any' } : { kind: 'char', char: c });
  }
  const reversed = reversedRange(tokens, positions);
  return reversed === undefined ? { ok: true, tokens } : { ok: false, error: reversed };
}

function matchesOne(t: Exclude<Token, { kind: 'star' }>, ch: string): boolean {
  switch (t.kind) {
    case 'char':
      return t.char === ch;
    case 'any':
      return true;
    case 'class':
      return t.ranges.some(([lo, hi]) => lo <= ch && ch <= hi) !== t.negate;
  }
}

/** Two pointers; on a mismatch, let the last `*` swallow one more character and retry from just after it. */
function matchTokens(tokens: readonly Token[], name: string): boolean {
  let t = 0;
  let n = 0;
  let starToken = -1;
  let starName = 0;
  while (n < name.length) {
    const tok = tokens[t];
    if (tok !== undefined && tok.kind === 'star') {
      starToken = t++;
      starName = n;
    } else if (tok !== undefined && matchesOne(tok, name.charAt(n))) {
      t++;
      n++;
    } else if (starToken >= 0) {
      t = starToken + 1;
      n = ++starName;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

/** Compiles `*`, `?`, `[abc]`, `[a-z]`, `[!abc]` into a matcher that runs in O(glob × name) time. */
export function compileGlob(glob: string): GlobResult {
  const parsed = parse(glob);
  if (!parsed.ok) return parsed;
  const tokens = parsed.tokens;
  let prefix = '';
  for (const t of tokens) {
    if (t.kind !== 'char') break;
    prefix += t.char;
  }
  return { ok: true, glob: { source: glob, test: (name) => matchTokens(tokens, name), prefix } };
}
