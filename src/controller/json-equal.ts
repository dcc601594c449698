// Equality of two JSON values as the apiserver sees them: object key order
// does not matter (the apiserver returns keys sorted; we render statuses in
// insertion order) and a key whose value is undefined is the same as no key
// (JSON.stringify drops it). Walks both values once without allocating: with
// 1,000 policies, sorting and serializing every status twice per pass was
// the largest cost of a steady-state pass.

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function definedKeys(o: Record<string, Json>): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k) && o[k] !== undefined) n++;
  return n;
}

function arraysEqual(a: readonly Json[], b: Json): boolean {
  if (!Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
  return true;
}

function objectsEqual(a: Record<string, Json>, b: Record<string, Json>): boolean {
  if (definedKeys(a) !== definedKeys(b)) return false;
  for (const k in a) {
    if (!Object.hasOwn(a, k) || a[k] === undefined) continue;
    if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false;
  }
  return true;
}

export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return arraysEqual(a as Json[], b);
  return isObject(a) && isObject(b) && objectsEqual(a, b);
}
