// Milvus error statuses, with the codes and texts real servers send (merr
// codes of Milvus 2.3+; texts as seen from Milvus standalone 2.3.5 and the
// Milvus sources). Each function returns a common.Status.

export interface Status {
  error_code: string;
  reason: string;
  code: number;
  retriable: boolean;
  detail: string;
}

export const OK: Status = { error_code: 'Success', reason: '', code: 0, retriable: false, detail: '' };

function fail(code: number, errorCode: string, reason: string, retriable = false): Status {
  return { error_code: errorCode, reason, code, retriable, detail: reason };
}

export const collectionNotFound = (db: string, name: string): Status => fail(100, 'CollectionNotExists', `collection not found[database=${db}][collection=${name}]`);
export const collectionNotLoaded = (id: string): Status => fail(101, 'UnexpectedError', `collection not loaded[collection=${id}]`);
export const partitionNotFound = (name: string): Status => fail(200, 'UnexpectedError', `partition not found[partition=${name}]`);
export const indexNotFound = (name: string): Status => fail(700, 'IndexNotExist', `index not found[collection=${name}]`);
export const databaseNotFound = (db: string): Status => fail(800, 'UnexpectedError', `database not found[database=${db}]`);
export const databaseExists = (db: string): Status => fail(801, 'UnexpectedError', `database already exist: ${db}`);
export const collectionExists = (name: string): Status => fail(1, 'UnexpectedError', `collection already exists[collection=${name}]`);
export const nodesNotEnough = (): Status => fail(65535, 'UnexpectedError', 'failed to load collection: failed to spawn replica for collection: nodes not enough');
export const outOfMemory = (mem: number, predicted: number, total: number): Status =>
  fail(65535, 'InsufficientMemoryToLoad', `load segment failed, OOM if load, memUsage = ${mem}, predictMemUsage = ${predicted}, totalMem = ${total}`);
export const loadParamsChanged = (): Status => fail(1100, 'IllegalArgument', 'load the collection with different parameters while it is still loading; wait for the load to finish');
