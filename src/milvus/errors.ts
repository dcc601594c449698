// Every failure of a Milvus call is one of three kinds (DESIGN §2):
// retryable (try again with backoff), terminal (the request is wrong; report
// it, do not retry until something changes), or notFound (the thing is gone:
// success for a release or a delete).

export type MilvusErrorKind = 'retryable' | 'terminal' | 'notFound';

/** CamelCase reasons, used as condition and status reasons. */
export type MilvusErrorReason =
  | 'MilvusUnavailable'
  | 'MilvusTimeout'
  | 'AuthenticationFailed'
  | 'PermissionDenied'
  | 'CollectionNotFound'
  | 'CollectionNotLoaded'
  | 'DatabaseNotFound'
  | 'PartitionNotFound'
  | 'IndexNotFound'
  | 'InsufficientMemory'
  | 'NotEnoughQueryNodes'
  | 'Unimplemented'
  | 'InvalidRequest'
  | 'ReconfigureRefused'
  | 'MilvusError';

export class MilvusError extends Error {
  readonly kind: MilvusErrorKind;
  readonly reason: MilvusErrorReason;
  readonly method: string;
  readonly code: number | undefined;

  constructor(method: string, reason: MilvusErrorReason, kind: MilvusErrorKind, message: string, code?: number) {
    super(message);
    this.name = 'MilvusError';
    this.method = method;
    this.reason = reason;
    this.kind = kind;
    this.code = code;
  }
}

/** What a person should do about each reason; appended to status messages. */
export const ADVICE: Readonly<Record<MilvusErrorReason, string>> = {
  MilvusUnavailable: 'check that Milvus is running and that spec.milvus.uri is reachable from the operator',
  MilvusTimeout: 'Milvus did not answer within spec.milvus.timeoutSeconds; check its load, or raise the timeout',
  AuthenticationFailed: 'check the token or username/password in spec.milvus.credentialsSecret',
  PermissionDenied: 'grant the Milvus user the privileges to load and release these collections',
  CollectionNotFound: 'create the collection or fix spec.selector',
  CollectionNotLoaded: 'the collection is not loaded; the operator loads it if a policy wants it',
  DatabaseNotFound: 'create the database or fix spec.milvus.database',
  PartitionNotFound: 'create the partition or fix spec.partitions',
  IndexNotFound: 'create an index on the vector field(s) first; Milvus loads only indexed collections',
  InsufficientMemory: 'query nodes lack memory: add query nodes, release other collections, or lower priority elsewhere',
  NotEnoughQueryNodes: 'lower spec.load.replicas or add query nodes / resource-group nodes',
  Unimplemented: 'this Milvus version does not support the call; see the compatibility table in the README',
  InvalidRequest: 'Milvus refused the request; check spec.load (fields, resource groups, replicas)',
  ReconfigureRefused: 'this Milvus cannot change the replicas or fields of a loaded collection (Milvus 2.4.13+ can); keep the old values, or release it (state: Released) and load it again',
  MilvusError: 'see the Milvus logs',
};

interface StatusLike {
  code?: number;
  error_code?: string | number;
  reason?: string;
}

interface StatusRule {
  readonly reason: MilvusErrorReason;
  readonly kind: MilvusErrorKind;
  readonly matches: (code: number, errorCode: string, text: string) => boolean;
}

/** First match wins; merr codes from Milvus 2.3+, texts from real servers (docs/test-environment.md). */
const STATUS_RULES: readonly StatusRule[] = [
  { reason: 'CollectionNotFound', kind: 'notFound', matches: (c, ec, t) => c === 100 || ec === 'CollectionNotExists' || /collection not found|collection .* does not exist/i.test(t) },
  { reason: 'CollectionNotLoaded', kind: 'terminal', matches: (c, _ec, t) => c === 101 || /collection not loaded|replica not found/i.test(t) },
  { reason: 'DatabaseNotFound', kind: 'notFound', matches: (c, _ec, t) => c === 800 || /database not found|database .* does not exist/i.test(t) },
  { reason: 'PartitionNotFound', kind: 'notFound', matches: (c, _ec, t) => c === 200 || /partition not found/i.test(t) },
  { reason: 'IndexNotFound', kind: 'terminal', matches: (c, ec, t) => c === 700 || ec === 'IndexNotExist' || /index not found|no (vector )?index/i.test(t) },
  { reason: 'InsufficientMemory', kind: 'retryable', matches: (_c, ec, t) => ec === 'InsufficientMemoryToLoad' || /OOM if load|insufficient memory|memory limit exceeded|memory.*(not enough|exceed)/i.test(t) },
  { reason: 'NotEnoughQueryNodes', kind: 'terminal', matches: (_c, _ec, t) => /nodes? not enough|not enough (query )?nodes/i.test(t) },
  { reason: 'AuthenticationFailed', kind: 'terminal', matches: (c, ec, t) => c === 1800 || ec === 'AuthenticationFailed' || /auth(entication)? (check )?fail/i.test(t) },
  { reason: 'PermissionDenied', kind: 'terminal', matches: (_c, ec, t) => ec === 'PermissionDenied' || /permission denied|privilege/i.test(t) },
  { reason: 'ReconfigureRefused', kind: 'terminal', matches: (_c, _ec, t) => /can't change the (replica number|load field list)/i.test(t) },
  // A missing or ill-fitting resource group is a spec mistake (2.4+ code 300; 2.3.5 says it only in text).
  { reason: 'InvalidRequest', kind: 'terminal', matches: (c, ec, t) => c === 1100 || c === 300 || ec === 'IllegalArgument' || /invalid|illegal|parameter|resource group (not found|num)/i.test(t) },
];

/** Classifies a Milvus status (code + error_code + reason text). */
export function classifyStatus(method: string, s: StatusLike): MilvusError {
  const code = s.code ?? 0;
  const text = (s.reason ?? '').trim() || `error ${String(s.error_code)}`;
  const ec = String(s.error_code ?? '');
  const rule = STATUS_RULES.find((r) => r.matches(code, ec, text));
  return new MilvusError(method, rule?.reason ?? 'MilvusError', rule?.kind ?? 'retryable', text, code);
}

/** gRPC status codes that tell what happened, whatever the message says. */
const GRPC_CODES: Readonly<Record<number, [MilvusErrorReason, MilvusErrorKind]>> = {
  1: ['MilvusUnavailable', 'retryable'],
  4: ['MilvusTimeout', 'retryable'],
  7: ['PermissionDenied', 'terminal'],
  12: ['Unimplemented', 'terminal'],
  13: ['MilvusUnavailable', 'retryable'],
  14: ['MilvusUnavailable', 'retryable'],
  16: ['AuthenticationFailed', 'terminal'],
};

/** Classifies a thrown error: gRPC status errors, timeouts, connection failures. */
export function classifyThrown(method: string, err: unknown): MilvusError {
  if (err instanceof MilvusError) return err;
  const g = err as { code?: number; details?: string; message?: string };
  const text = g.details ?? g.message ?? String(err);
  const known = g.code === undefined ? undefined : GRPC_CODES[g.code];
  if (known) return new MilvusError(method, known[0], known[1], text);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|No connection established|UNAVAILABLE/i.test(text)) return new MilvusError(method, 'MilvusUnavailable', 'retryable', text);
  if (/deadline|timeout|timed out/i.test(text)) return new MilvusError(method, 'MilvusTimeout', 'retryable', text);
  return new MilvusError(method, 'MilvusError', 'retryable', text);
}
