// Every MilvusClient of @zilliz/milvus2-sdk-node 3.0.6 builds, in its
// constructor, two protobuf Roots from the SDK's bundled JSON (BaseClient:
// schemaProto, milvusProto) and two gRPC package definitions from it
// (GrpcClient: getGRPCService for MilvusService and ClientTelemetryService,
// each loading the whole milvus.proto package for one service). They are the
// same for every client and read-only once built: about 35 MiB of RSS per
// client (bench/client-memory.ts). The SDK has no option to pass them in, so
// while our own constructor call runs, Root.fromJSON returns the Roots the
// first client built, and getGRPCService takes its services from one loaded
// package, as the SDK's own getGRPCService would from its own. Outside that
// call the SDK is untouched.
// The service clients built from those services also close for good: the
// SDK's channel pool destroys a client with close() and then
// getConnectivityState(true), which makes grpc-js reconnect the closed
// channel, so closeConnection() left one TCP connection per client open for
// the life of the process (test/milvus/connection-close.test.ts).
// The upstream fix we would offer is docs/sdk-shared-definitions.patch.md;
// sdk-sharing.test.ts fails when the SDK no longer has this shape.
import { createRequire } from 'node:module';

interface RootBuilder {
  fromJSON: (this: unknown, json: unknown, ...rest: unknown[]) => unknown;
}
type LoaderOptions = Record<string, unknown>;
interface GrpcUtils {
  getGRPCService: (proto: { serviceName: string }, options?: LoaderOptions) => unknown;
}
/** What the SDK's getGRPCService loads a package with (@grpc/proto-loader, @grpc/grpc-js) and from (its milvus JSON). */
type PackageLoader = (options: LoaderOptions | undefined) => Record<string, unknown>;

interface SdkInternals {
  readonly Root: RootBuilder;
  readonly grpcUtils: GrpcUtils;
  readonly loadPackage: PackageLoader;
  /** The bundled JSON objects BaseClient builds Roots from (compared by identity). */
  readonly definitions: ReadonlySet<unknown>;
}

let internals: SdkInternals | undefined;

/** The SDK's own module instances, loaded from where the SDK resolves them. */
function sdkInternals(): SdkInternals {
  if (internals) return internals;
  const sdkRequire = createRequire(createRequire(import.meta.url).resolve('@zilliz/milvus2-sdk-node'));
  const protobuf = sdkRequire('protobufjs') as { Root: RootBuilder };
  const grpcUtils = sdkRequire('./utils/Grpc') as GrpcUtils;
  const grpcRequire = createRequire(sdkRequire.resolve('./utils/Grpc'));
  const protoLoader = grpcRequire('@grpc/proto-loader') as { fromJSON: (json: unknown, options?: LoaderOptions) => unknown };
  const grpc = grpcRequire('@grpc/grpc-js') as { loadPackageDefinition: (definition: unknown) => Record<string, unknown> };
  const json = (name: string): unknown => (sdkRequire(`./proto-json/${name}`) as { default: unknown }).default;
  const milvus = json('milvus');
  const loadPackage: PackageLoader = (options) => grpc.loadPackageDefinition(protoLoader.fromJSON(milvus, options));
  internals = { Root: protobuf.Root, grpcUtils, loadPackage, definitions: new Set([json('schema.base'), json('milvus.base')]) };
  return internals;
}

interface GrpcChannel {
  getConnectivityState: (tryToConnect: boolean) => number;
}
type ServiceClient = new (...args: unknown[]) => { close(): void; getChannel(): GrpcChannel };

/** `Service` whose clients, once closed, only look at their channel's state instead of reconnecting it. */
function closingForGood(Service: ServiceClient): ServiceClient {
  return class ClosingForGood extends Service {
    override close(): void {
      super.close();
      const channel = this.getChannel();
      const look = channel.getConnectivityState.bind(channel);
      channel.getConnectivityState = () => look(false);
    }
  };
}

const roots = new Map<unknown, unknown>();
const packages = new Map<string, Record<string, unknown>>();
const services = new Map<string, ServiceClient>();

function optionsKey(options: LoaderOptions = {}): string {
  return Object.entries(options)
    .map(([k, v]) => `${k}=${typeof v === 'function' ? v.name : JSON.stringify(v)}`)
    .sort()
    .join(',');
}

/**
 * Runs `construct` (a synchronous `new MilvusClient(...)`) with the SDK's
 * protobuf and gRPC definition builders returning shared, already built
 * definitions. Builders are restored before this returns, also on a throw.
 */
export function withSharedDefinitions<T>(construct: () => T): T {
  const { Root, grpcUtils, loadPackage, definitions } = sdkInternals();
  const buildRoot = Root.fromJSON;
  const buildService = grpcUtils.getGRPCService;
  Root.fromJSON = function shared(this: unknown, json: unknown, ...rest: unknown[]): unknown {
    if (!definitions.has(json) || rest.length > 0) return Reflect.apply(buildRoot, this, [json, ...rest]);
    let root = roots.get(json);
    if (root === undefined) roots.set(json, (root = Reflect.apply(buildRoot, this, [json])));
    return root;
  };
  grpcUtils.getGRPCService = (proto, options) => {
    const key = optionsKey(options);
    const known = services.get(`${proto.serviceName}|${key}`);
    if (known) return known;
    let loaded = packages.get(key);
    if (loaded === undefined) packages.set(key, (loaded = loadPackage(options)));
    const service = proto.serviceName.split('.').reduce<unknown>((node, name) => (node as Record<string, unknown> | undefined)?.[name], loaded);
    // The SDK's own check: a service client constructor carries its definition in `.service`.
    if (typeof service !== 'function' || !('service' in service)) throw new Error(`Unable to load service: ${proto.serviceName}`);
    const closing = closingForGood(service as unknown as ServiceClient);
    services.set(`${proto.serviceName}|${key}`, closing);
    return closing;
  };
  try {
    return construct();
  } finally {
    Root.fromJSON = buildRoot;
    grpcUtils.getGRPCService = buildService;
  }
}
