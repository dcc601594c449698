// MilvusPort over @zilliz/milvus2-sdk-node. Every reply's status is checked
// (both `code` and `error_code`), and a reply without a status is a failure:
// the SDK's retry interceptor turns gRPC UNIMPLEMENTED into an empty success.
// First, so that the SDK loads without its bulk writer (sdk-trim.ts).
import './sdk-trim.ts';
import { MilvusClient, ShowCollectionsType, ShowPartitionsType } from '@zilliz/milvus2-sdk-node';
import { classifyStatus, classifyThrown, MilvusError } from './errors.ts';
import type { CollectionListing, ConnectionSettings, LoadAccepted, LoadRequest, MilvusPort, PartitionListing, ReleaseRequest, ReplicaInfo, SchemaSummary } from './port.ts';
import { bytesPerRow, type FieldLike } from './schema-size.ts';
import { supportsLoadPriority } from './versions.ts';
import { withSharedDefinitions } from './sdk-sharing.ts';

interface StatusLike {
  code?: number;
  error_code?: string | number;
  reason?: string;
}

function statusOf(reply: unknown): StatusLike | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const r = reply as { status?: StatusLike } & StatusLike;
  if (r.status) return r.status;
  if ('error_code' in r || 'code' in r) return r;
  return undefined;
}

/** Throws unless the reply carries a success status. */
function check<T>(method: string, reply: T): T {
  const s = statusOf(reply);
  if (!s) throw new MilvusError(method, 'Unimplemented', 'terminal', `${method}: the server sent no status (it does not implement this call)`);
  const ok = (s.code ?? 0) === 0 && (s.error_code === undefined || s.error_code === 'Success' || s.error_code === 0);
  if (!ok) throw classifyStatus(method, s);
  return reply;
}

export function createSdkPort(settings: ConnectionSettings): MilvusPort {
  const client = withSharedDefinitions(() => new MilvusClient({
    address: settings.address,
    ssl: settings.tls,
    ...(settings.token ? { token: settings.token } : {}),
    ...(settings.username ? { username: settings.username, password: settings.password ?? '' } : {}),
    ...(settings.tls && (settings.caPem || settings.serverName)
      ? { tls: { ...(settings.caPem ? { rootCert: Buffer.from(settings.caPem) } : {}), ...(settings.serverName ? { serverName: settings.serverName } : {}) } }
      : {}),
    timeout: settings.timeoutMs,
    // The SDK's own retry re-sends UNAVAILABLE until the deadline; the operator retries with its own backoff.
    maxRetries: 0,
    logLevel: 'error',
    // Its heartbeat fails unhandled while Milvus is down; the operator has its own metrics.
    telemetry: { enabled: false },
    channelOptions: {
      // Reconnect promptly when Milvus comes back (gRPC's default backoff grows to 120 s).
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 5000,
      // The SDK pings every 10 s even with no call in flight. Servers built on
      // gRPC core (Milvus Lite) allow that once per 5 minutes and answer with
      // GOAWAY "too_many_pings", which grpc-js prints as an error on stderr.
      // Pinging only during calls keeps dead-connection detection where it
      // matters (a call waiting on a silent server); Milvus standalone and
      // distributed accept pings every 5 s, so they see no difference.
      'grpc.keepalive_permit_without_calls': 0,
    },
  }));
  // The SDK connects in its constructor; a failure there is seen again on the first call.
  (client as unknown as { connectPromise?: Promise<unknown> }).connectPromise?.catch(() => undefined);

  /** The server's version, asked once per client (GetVersion); undefined when it cannot say. */
  let version: Promise<string | undefined> | undefined;
  const serverVersion = (): Promise<string | undefined> =>
    (version ??= call('GetVersion', () => client.getVersion()).then(
      (r) => r.version || undefined,
      () => {
        version = undefined; // asked again next time
        return undefined;
      },
    ));

  async function call<T>(method: string, f: () => Promise<T>): Promise<T> {
    let reply: T;
    try {
      reply = await f();
    } catch (e: unknown) {
      throw classifyThrown(method, e);
    }
    return check(method, reply);
  }

  const listing = (r: { data?: { name: string; loadedPercentage?: string }[]; collection_ids?: string[]; inMemory_percentages?: (string | number)[] }): CollectionListing[] => {
    const names = r.data ?? [];
    const withPercent = (r.inMemory_percentages?.length ?? 0) === names.length && names.length > 0;
    return names.map((d, i) => ({
      name: d.name,
      ...(r.collection_ids?.[i] ? { id: String(r.collection_ids[i]) } : {}),
      ...(withPercent ? { loadedPercent: Number(d.loadedPercentage ?? r.inMemory_percentages?.[i] ?? 0) } : {}),
    }));
  };

  return {
    async listCollections(database) {
      return listing(await call('ShowCollections', () => client.showCollections({ db_name: database })));
    },
    async listLoaded(database) {
      const r = await call('ShowCollections', () => client.showCollections({ db_name: database, type: ShowCollectionsType.Loaded }));
      return listing(r).map((c, i) => ({ ...c, loadedPercent: Number(r.data[i]?.loadedPercentage ?? 0) }));
    },
    async loadProgress(database, collection) {
      const r = await call('GetLoadingProgress', () => client.getLoadingProgress({ db_name: database, collection_name: collection }));
      return Number(r.progress);
    },
    async listPartitions(database, collection) {
      const all = await call('ShowPartitions', () => client.showPartitions({ db_name: database, collection_name: collection }));
      const names = all.data.map((d) => d.name);
      // Milvus 2.3 leaves the percentages of type All empty; ask for the loaded ones then.
      const created = new Map(all.data.map((d) => [d.name, Number(d.timestamp ?? 0)]));
      const listing = (name: string, loadedPercent: number): PartitionListing => {
        const at = created.get(name) ?? 0;
        return at > 0 ? { name, loadedPercent, createdAt: at } : { name, loadedPercent };
      };
      if (all.data.length > 0 && all.data.every((d) => d.loadedPercentage !== undefined && d.loadedPercentage !== '')) {
        return all.data.map((d) => listing(d.name, Number(d.loadedPercentage)));
      }
      const loaded = await call('ShowPartitions', () => client.showPartitions({ db_name: database, collection_name: collection, type: ShowPartitionsType.Loaded }));
      const pct = new Map(loaded.data.map((d) => [d.name, Number(d.loadedPercentage ?? 0)]));
      return names.map((name) => listing(name, pct.get(name) ?? 0));
    },
    async describe(database, collection): Promise<SchemaSummary> {
      const r = await call('DescribeCollection', () => client.describeCollection({ db_name: database, collection_name: collection }));
      return { id: String(r.collectionID), bytesPerRow: bytesPerRow(r.schema.fields as unknown as FieldLike[]) };
    },
    async rowCount(database, collection) {
      const r = await call('GetCollectionStatistics', () => client.getCollectionStatistics({ db_name: database, collection_name: collection }));
      return Number(r.data.row_count ?? 0);
    },
    async segmentMemory(database, collection) {
      try {
        const r = await call('GetQuerySegmentInfo', () => client.getQuerySegmentInfo({ dbName: database, collectionName: collection }));
        const total = r.infos.reduce((sum, s) => sum + Number(s.mem_size ?? 0), 0);
        return total > 0 ? total : undefined;
      } catch (e: unknown) {
        // Milvus Lite does not implement it; Milvus 2.3 reports 0: both mean "not measured".
        if (e instanceof MilvusError && e.reason === 'Unimplemented') return undefined;
        throw e;
      }
    },
    async replicas(database, collectionId): Promise<ReplicaInfo | undefined> {
      try {
        const r = await call('GetReplicas', () => client.getReplicas({ db_name: database, collectionID: collectionId }));
        return { replicas: r.replicas.length, resourceGroups: r.replicas.map((x) => x.resource_group_name) };
      } catch (e: unknown) {
        if (e instanceof MilvusError && (e.reason === 'Unimplemented' || e.reason === 'CollectionNotLoaded' || e.kind === 'notFound')) return undefined;
        throw e;
      }
    },
    async load(req: LoadRequest): Promise<LoadAccepted> {
      const version = req.priority ? await serverVersion() : undefined;
      const withPriority = req.priority !== undefined && version !== undefined && supportsLoadPriority(version);
      const common = {
        db_name: req.database,
        collection_name: req.collection,
        replica_number: req.replicas,
        ...(req.resourceGroups.length > 0 ? { resource_groups: [...req.resourceGroups] } : {}),
        ...(req.refresh ? { refresh: true } : {}),
        // Milvus 2.6 reads common.LoadPriorityKey from load_params; the SDK's
        // types lack the field but its bundled proto has it (docs/adr/0010).
        // Older servers are not sent it: what they do with an unknown parameter is theirs to decide.
        ...(withPriority ? { load_params: { load_priority: req.priority.toLowerCase() } } : {}),
      };
      const accepted: LoadAccepted = req.priority && !withPriority ? { priorityIgnoredBy: version ?? 'unknown version' } : {};
      if (req.partitions && req.partitions.length > 0) {
        await call('LoadPartitions', () => client.loadPartitions({ ...common, partition_names: [...req.partitions!] }));
        return accepted;
      }
      await call('LoadCollection', () =>
        client.loadCollectionAsync({
          ...common,
          ...(req.fields.length > 0 ? { load_fields: [...req.fields] } : {}),
          ...(req.skipDynamicField ? { skip_load_dynamic_field: true } : {}),
        }),
      );
      return accepted;
    },
    async release(req: ReleaseRequest) {
      if (req.partitions && req.partitions.length > 0) {
        await call('ReleasePartitions', () => client.releasePartitions({ db_name: req.database, collection_name: req.collection, partition_names: [...req.partitions!] }));
        return;
      }
      await call('ReleaseCollection', () => client.releaseCollection({ db_name: req.database, collection_name: req.collection }));
    },
    async close() {
      await client.closeConnection().catch(() => undefined);
    },
  };
}
