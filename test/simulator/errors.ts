// Milvus statuses exactly as a Milvus 2.4–2.6 proxy answers them, so the
// operator's error classification is tested against real codes and texts.
//
// Sources (milvus-io/milvus):
// - codes, and the legacy `error_code` each maps to: pkg/util/merr/errors.go,
//   `oldCode()` in pkg/util/merr/utils.go; texts of wrapped errors: the
//   `WrapErr*` helpers there ("collection not found[database=d][collection=c]").
// - `reason` is the second-to-last error of the wrap chain and `detail` the
//   whole chain (merr.Status); a proxy task that wraps with fmt.Errorf("...%s")
//   loses the merr code, so the client sees 65535 / UnexpectedError.
// - load checks: internal/proxy/task.go (loadCollectionTask, loadPartitionsTask),
//   internal/querycoordv2/services.go, job/job_load.go, utils/meta.go.
// - out of memory: internal/querynodev2/segments/segment_loader.go and
//   meta.GlobalFailedLoadCache (replayed by ShowCollections / GetLoadingProgress
//   after queryCoord.loadTimeoutSeconds cancels the load).
// - auth: internal/proxy/authentication_interceptor.go (gRPC UNAUTHENTICATED).

export interface Status {
  error_code: string;
  reason: string;
  code: number;
  retriable: boolean;
  detail: string;
}

export const OK: Readonly<Status> = Object.freeze({ error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' });

/** merr code -> legacy commonpb.ErrorCode name (the switch in merr.oldCode, first match wins). */
function oldCode(code: number): string {
  switch (code) {
    case 1:
      return 'NotReadyServe';
    case 100:
      return 'CollectionNotExists';
    case 1100:
      return 'IllegalArgument';
    case 904:
      return 'NodeIDNotMatch';
    case 200:
    case 400:
    case 501:
      return 'MetaFailed';
    case 401:
    case 503:
    case 905:
      return 'NoReplicaAvailable';
    case 3:
      return 'InsufficientMemoryToLoad';
    case 7:
      return 'DiskQuotaExhausted';
    case 8:
      return 'RateLimit';
    case 9:
      return 'ForceDeny';
    case 11:
      return 'TimeTickLongDelay';
    case 700:
      return 'IndexNotExist';
    case 600:
      return 'SegmentNotFound';
    default:
      return 'UnexpectedError';
  }
}

const RETRIABLE = new Set([1, 2, 4, 12, 103, 106, 202, 305, 1002]);

/** A status as merr.Status builds it: `reason` is what clients show, `detail` the full chain. */
export function milvusStatus(code: number, reason: string, detail = reason): Status {
  return { error_code: oldCode(code), reason, code, retriable: RETRIABLE.has(code), detail };
}

/** A plain Go error (errors.New / fmt.Errorf) carries no merr code: 65535. */
const plain = (reason: string): Status => milvusStatus(65535, reason);

/** How a proxy task that used fmt.Errorf("call query coordinator X: %s", err) reports a querycoord error. */
const viaQueryCoord = (rpc: string, reason: string): Status => plain(`call query coordinator ${rpc}: ${reason}`);

/** Go's %v of a []string or []int64: "[a b c]". */
const goList = (xs: readonly (string | number)[]): string => `[${xs.join(' ')}]`;

// Catalog (rootcoord, proxy meta cache).
export const collectionNotFound = (db: string, name: string): Status => milvusStatus(100, `collection not found[database=${db}][collection=${name}]`);
export const databaseNotFound = (db: string): Status => milvusStatus(800, `database not found[database=${db}]`);
export const databaseExists = (db: string): Status => plain(`database already exist: ${db}`);
export const collectionSchemaConflict = (name: string): Status => plain(`create duplicate collection with different parameters, collection: ${name}`);
export const partitionNotFound = (name: string): Status => milvusStatus(200, `partition not found[partition=${name}]`);
export const fieldNotFound = (name: string): Status => milvusStatus(1700, `field not found[field=${name}]`);

// Indexes (proxy loadCollectionTask / loadPartitionsTask, datacoord DescribeIndex).
export const indexNotFound = (collection: string): Status => milvusStatus(700, `index not found[collection=${collection}]`);
export const noVectorIndexOnFields = (fields: readonly string[]): Status => plain(`there is no vector index on field: ${goList(fields)}, please create index firstly`);
export const noVectorIndexOnCollection = (collection: string): Status =>
  plain(`there is no vector index on collection: ${collection}, please create index firstly`);

// Load state (querycoord).
export const collectionNotLoaded = (collectionId: string): Status => milvusStatus(101, `collection not loaded[collection=${collectionId}]`);
export const collectionNotFullyLoaded = (collectionId: string): Status => milvusStatus(103, `collection not fully loaded[collection=${collectionId}]`);
export const partitionNotLoaded = (partitionId: string): Status => milvusStatus(201, `partition not loaded[partition=${partitionId}]`);
/** ShowCollections(InMemory, names) through the proxy: querycoord's text with the ID replaced by the name, re-raised with errors.New. */
export const collectionNotLoadedByName = (name: string): Status => plain(`collection not loaded[collection=${name}]`);

/** Refresh of a collection that is not (fully) loaded: querycoord refreshCollection, through the proxy's fmt.Errorf. */
export const refreshNotLoaded = (collectionId: string, loading: boolean): Status =>
  viaQueryCoord('LoadCollection', loading ? `collection not fully loaded: collection not loaded[collection=${collectionId}]` : `collection not loaded[collection=${collectionId}]`);

/** job_load.go PreExecute, LoadCollection: load_fields differ from the loaded ones (WrapErrParameterInvalid, through fmt.Errorf). */
export const loadFieldsChanged = (oldIds: readonly number[], newIds: readonly number[]): Status =>
  viaQueryCoord('LoadCollection', `can't change the load field list for loaded collection: invalid parameter[expected=${goList(oldIds)}][actual=${goList(newIds)}]`);

/** job_load.go PreExecute, LoadPartitions: LoadPartitions never switches to UpdateLoadConfig (only LoadCollection does, 2.4.13+). */
export const partitionReplicasChanged = (oldReplicas: number, newReplicas: number): Status =>
  milvusStatus(1100, `can't change the replica number for loaded partitions: invalid parameter[expected=${oldReplicas}][actual=${newReplicas}]`);
export const partitionResourceGroupsChanged = (oldGroups: readonly string[], newGroups: readonly string[]): Status =>
  milvusStatus(1100, `can't change the resource groups for loaded partitions: invalid parameter[expected=${goList(oldGroups)}][actual=${goList(newGroups)}]`);

/** The same check for LoadPartitions: the proxy returns querycoord's status as it is. */
export const partitionLoadFieldsChanged = (oldIds: readonly number[], newIds: readonly number[]): Status =>
  milvusStatus(1100, `can't change the load field list for loaded collection: invalid parameter[expected=${goList(oldIds)}][actual=${goList(newIds)}]`);
export const noPartitionSpecified = (): Status => plain('failed to load partition, due to no partition specified');

/** querycoord GetReplicas of a collection with no replicas (not loaded). */
export const replicaNotFound = (collectionId: string): Status => milvusStatus(400, `failed to get replicas by collection: replica not found[replica=${collectionId}]`);

// Replicas and resource groups (querycoordv2/utils/meta.go AssignReplica).
export const resourceGroupNotFound = (rg: string): Status => milvusStatus(300, `resource group not found[rg=${rg}]`);
export const resourceGroupNotFoundOnLoad = (rpc: string, rg: string): Status => viaQueryCoord(rpc, `failed to spawn replica for collection: resource group not found[rg=${rg}]`);
export const wrongResourceGroupCount = (rpc: string): Status => viaQueryCoord(rpc, 'resource group num can only be 0, 1 or same as replica number');
/** Not enough query nodes in a resource group for the replicas asked: new load ("failed to spawn replica") or replica change (UpdateLoadConfig). */
export const nodesNotEnough = (rpc: string, rg: string, nodes: number, replicas: number, spawning: boolean): Status =>
  viaQueryCoord(
    rpc,
    `${spawning ? 'failed to spawn replica for collection' : 'failed to load collection'}: resource group node not enough[rg=${rg}][currentNodeNum=${nodes}][expectedNodeNum=${replicas}]`,
  );

/** Go's %v of a float32 (shortest representation that round-trips). */
function goFloat32(x: number): string {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

const MiB = 1024 * 1024;

/**
 * Out of memory, as GetLoadingProgress / GetLoadState / ShowCollections replay it
 * from querycoord's GlobalFailedLoadCache once the load was cancelled.
 * `memory-limit`: segment_loader requestResource, merr.WrapErrServiceMemoryLimitExceeded (code 3, InsufficientMemoryToLoad).
 * `segment-size`: segment_loader checkSegmentSize, a plain fmt.Errorf (code 65535) — the text users usually report.
 */
export function outOfMemory(kind: 'memory-limit' | 'segment-size', predictBytes: number, limitBytes: number, usedBytes: number): Status {
  if (kind === 'memory-limit') {
    const reason = `show collection failed: memory limit exceeded[predict(MB)=${goFloat32(predictBytes / MiB)}][limit(MB)=${goFloat32(limitBytes / MiB)}]`;
    return milvusStatus(3, reason);
  }
  const mb = (b: number): string => (b / MiB).toFixed(2);
  return plain(
    `show collection failed: load segment failed, OOM if load, maxSegmentSize = ${mb(predictBytes - usedBytes)} MB,  memUsage = ${mb(usedBytes)} MB, predictMemUsage = ${mb(predictBytes)} MB, totalMem = ${mb(limitBytes)} MB thresholdFactor = 0.900000`,
  );
}

// Authentication (gRPC status errors, not Milvus statuses).
export const AUTH_MISSING = 'missing authorization in header';
export const AUTH_BAD_PASSWORD = 'auth check failure, please check username and password are correct';
export const AUTH_BAD_API_KEY = 'auth check failure, please check api key is correct';
