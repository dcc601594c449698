// Preloaded into the operator by the bench (`node --import`), never by the
// image: every MLO_BENCH_MEMORY_INTERVAL_MS (default 200) it appends one line
// "epochMs rss heapUsed external arrayBuffers" (bytes, process.memoryUsage())
// to MLO_BENCH_MEMORY_FILE. It holds one file descriptor and one timer; the
// timer is unref'd so it never keeps the operator alive. Samples come from
// the operator's event loop: while a long synchronous step blocks it, there
// are none (bench/memory-series.ts reports the longest gap).
import { openSync, writeSync } from 'node:fs';

const file = process.env.MLO_BENCH_MEMORY_FILE;
if (file) {
  const fd = openSync(file, 'a');
  const every = Number(process.env.MLO_BENCH_MEMORY_INTERVAL_MS ?? '200');
  const sample = (): void => {
    const m = process.memoryUsage();
    writeSync(fd, `${Date.now()} ${m.rss} ${m.heapUsed} ${m.external} ${m.arrayBuffers}\n`);
  };
  sample();
  setInterval(sample, every > 0 ? every : 200).unref();
}
