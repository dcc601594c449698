// Polling for end-to-end tests: things a separate process does happen
// "eventually"; wait for them with a deadline and a message that says what.

/** Polls `f` until it returns true. A throw counts as "not yet"; the last one is quoted on timeout. */
export async function until(what: string, f: () => Promise<boolean>, timeoutMs = 90_000, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await f()) return;
    } catch (e: unknown) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
