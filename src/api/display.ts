// How a value from a manifest or a server is shown in a message: never with
// a credential in it, never with characters that a terminal or a log viewer
// would act on (issue 19). Used by field errors (validate, plan, conditions)
// and by the CLI for names and file paths.

// C0 and C1 controls, DEL, line/paragraph separators, and the bidirectional
// overrides that can make text read differently from what it is.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The characters JSON.stringify leaves as they are but a terminal would still obey. */
function escapeRest(quoted: string): string {
  return quoted.replace(UNSAFE_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A string as a JSON literal with every unsafe character escaped: `"a\u001b[31m"`. */
export function quoted(s: string): string {
  return escapeRest(JSON.stringify(maskUserinfo(s)));
}

/** The string as it is when it is harmless, else quoted: for names and paths in running text. */
export function printable(s: string): string {
  const masked = maskUserinfo(s);
  return UNSAFE.test(masked) ? quoted(masked) : masked;
}

/**
 * Replaces the user information of anything that looks like a URI authority
 * (`http://user:password@host`, `user:password@host`) with `***`, so that a
 * credential typed into a URI is not copied into CI logs or a status.
 */
export function maskUserinfo(s: string): string {
  if (!s.includes('@')) return s;
  return s.replace(/(\/\/)[^/@\s"]*@/g, '$1***@').replace(/^[^/@\s":]*:[^/@\s"]*@/, '***@');
}

/** Escapes unsafe characters and masks user information in a whole message (defence in depth). */
export function safeMessage(s: string): string {
  return escapeRest(maskUserinfo(s));
}
