// Shell-style globs over collection names, as `spec.selector.patterns` defines them.

export type GlobResult = { ok: true; regex: RegExp } | { ok: false; error: string };

/** Compiles `*`, `?`, `[abc]`, `[a-z]`, `[!abc]` into an anchored RegExp. */
export function compileGlob(glob: string): GlobResult {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) return { ok: false, error: `unclosed "[" at position ${i + 1}; close the class with "]"` };
      let body = glob.slice(i + 1, close);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      if (body === '') return { ok: false, error: `empty character class at position ${i + 1}` };
      out += `[${negate ? '^' : ''}${body.replace(/[\\^\]]/g, '\\$&')}]`;
      i = close;
    } else if (c === ']' || c === '!') {
      return { ok: false, error: `unexpected "${c}" at position ${i + 1}; "${c}" is only allowed inside a [class]` };
    } else out += c.replace(/[.+^${}()|\\-]/g, '\\$&');
  }
  return { ok: true, regex: new RegExp(`${out}$`) };
}
