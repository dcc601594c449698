// The narrow port through which the controller talks to Milvus. The SDK
// adapter implements it for real servers; unit tests use a fake with the
// same contract. Every method either returns a typed result or throws a
// classified MilvusError (errors.ts).

export interface CollectionListing {
  readonly name: string;
  readonly id?: string;
  /** 0-100 when the server reports it (undefined: not reported, or not loaded). */
  readonly loadedPercent?: number;
}

export interface PartitionListing {
  readonly name: string;
  readonly loadedPercent: number;
  /** Creation time (epoch ms) when the server reports it (ShowPartitions created_utc_timestamps). */
  readonly createdAt?: number;
}

export interface LoadRequest {
  readonly database: string;
  readonly collection: string;
  readonly partitions?: readonly string[];
  readonly replicas: number;
  readonly resourceGroups: readonly string[];
  readonly fields: readonly string[];
  readonly skipDynamicField: boolean;
  readonly refresh: boolean;
  /** Milvus 2.6 `load_params` priority; older servers ignore the parameter. */
  readonly priority?: 'High' | 'Low';
}

export interface LoadAccepted {
  /** The request's priority was not sent: the server (this version) has no load priority. */
  readonly priorityIgnoredBy?: string;
}

export interface ReleaseRequest {
  readonly database: string;
  readonly collection: string;
  readonly partitions?: readonly string[];
}

export interface SchemaSummary {
  readonly id: string;
  /** Estimated bytes of one row from the field types (see docs/budgets.md). */
  readonly bytesPerRow: number;
}

export interface ReplicaInfo {
  readonly replicas: number;
  readonly resourceGroups: readonly string[];
}

export interface MilvusPort {
  /** All collections of a database, with load percentages where the server gives them. */
  listCollections(database: string): Promise<CollectionListing[]>;
  /** Loaded and loading collections with their percentages (ShowCollections type InMemory). */
  listLoaded(database: string): Promise<CollectionListing[]>;
  loadProgress(database: string, collection: string): Promise<number>;
  listPartitions(database: string, collection: string): Promise<PartitionListing[]>;
  describe(database: string, collection: string): Promise<SchemaSummary>;
  rowCount(database: string, collection: string): Promise<number>;
  /** Sum of loaded segments' mem_size; undefined when the server does not say. */
  segmentMemory(database: string, collection: string): Promise<number | undefined>;
  /** Undefined when the server cannot say (Milvus Lite). */
  replicas(database: string, collectionId: string): Promise<ReplicaInfo | undefined>;
  /** Resolves when Milvus accepted the load (it runs on in the background). */
  load(req: LoadRequest): Promise<LoadAccepted>;
  release(req: ReleaseRequest): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectionSettings {
  /** `host:port` */
  readonly address: string;
  readonly tls: boolean;
  readonly caPem?: string;
  readonly serverName?: string;
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
  readonly timeoutMs: number;
}
