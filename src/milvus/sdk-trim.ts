// @zilliz/milvus2-sdk-node 3.0.6 re-exports its bulk writer from the package
// index, and every entry point (MilvusClient included) loads that index. The
// bulk writer brings parquetjs, the AWS S3 client, thrift, ws and bson: 108
// of the 480 modules the SDK loads, about 200 ms of start-up and 7–10 MiB of
// V8 heap (bson also allocates a 17 MiB buffer at load), all for writing
// bulk-import files, which the operator never does. Imported before the SDK
// (sdk-adapter.ts imports this first), this module puts an empty module in
// the bulk writer's place in the CommonJS cache, so the index re-exports
// nothing from it. Nothing else in the SDK uses it (grep of its dist/, and
// the real-server suites run with this in place). If a later SDK moves the
// bulk writer, nothing is put in place and the SDK loads whole, as before;
// sdk-trim.test.ts fails then, so the trim is not lost unnoticed.
import Module, { createRequire } from 'node:module';

const BULK_WRITER = '@zilliz/milvus2-sdk-node/dist/milvus/bulkwriter/index.js';

/** The bulk writer's file, or undefined when this SDK has none there. */
export function bulkWriterPath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(BULK_WRITER);
  } catch {
    return undefined;
  }
}

interface CjsCache {
  _cache: Record<string, Module | undefined>;
}

const path = bulkWriterPath();
const cache = (Module as unknown as CjsCache)._cache;
// Not yet loaded: the ESM loader may already have put an unloaded placeholder
// there while it read the SDK's exports; the SDK's require() takes ours instead.
if (path && !cache[path]?.loaded) {
  const empty = new Module(path);
  empty.filename = path;
  empty.loaded = true;
  empty.exports = {};
  cache[path] = empty;
}
