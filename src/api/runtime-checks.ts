// Rules that a CRD schema cannot express. They run in the offline `validate`
// command and in the controller, which turns a failure into the condition
// Ready=False / reason InvalidSpec on that policy alone.
import { quoted } from './display.ts';
import { compileGlob } from './glob.ts';
import type { PolicySpec } from './policy.ts';
import type { FieldError } from './validate.ts';

const zoneCache = new Map<string, boolean>();

/** True when the runtime's IANA database knows the zone. */
export function timeZoneExists(zone: string): boolean {
  let known = zoneCache.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      known = true;
    } catch (e: unknown) {
      if (!(e instanceof RangeError)) throw e;
      known = false;
    }
    zoneCache.set(zone, known);
  }
  return known;
}

export function checkPolicySpec(spec: PolicySpec): FieldError[] {
  const out: FieldError[] = [];
  const zone = spec.schedule?.timeZone;
  if (zone !== undefined && !timeZoneExists(zone)) {
    out.push({
      path: 'spec.schedule.timeZone',
      type: 'Invalid',
      message: `Invalid value: ${quoted(zone)}: not a known IANA time zone; use a name such as Europe/Berlin, America/New_York or UTC`,
    });
  }
  checkGlobs(spec.selector.patterns, 'spec.selector.patterns', out);
  checkGlobs(spec.partitionSelector?.patterns, 'spec.partitionSelector.patterns', out);
  return out;
}

function checkGlobs(patterns: readonly string[] | undefined, path: string, out: FieldError[]): void {
  (patterns ?? []).forEach((p, i) => {
    const compiled = compileGlob(p);
    if (!compiled.ok) out.push({ path: `${path}[${i}]`, type: 'Invalid', message: `Invalid value: ${quoted(p)}: ${compiled.error}` });
  });
}
