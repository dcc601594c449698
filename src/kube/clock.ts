// One clock for everything that waits or measures time in the operator: the
// work queue, the reconciler, leader election and the informers. Tests
// inject a manual one; production uses the real one. Its timers never keep
// the process alive by themselves.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(f: () => void, ms: number): Timer;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (f, ms) => {
    const t = setTimeout(f, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after `ms` on `clock`, or at once when `wake()` of the handle is called. */
export function sleep(clock: Clock, ms: number): { done: Promise<void>; wake: () => void } {
  let wake = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    const t = clock.setTimeout(resolve, ms);
    wake = () => {
      t.cancel();
      resolve();
    };
  });
  return { done, wake };
}
