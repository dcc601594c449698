// Names that are part of the public API. Changing any of them is a breaking change.

export const GROUP = 'milvusload.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const POLICY_KIND = 'CollectionLoadPolicy';
export const POLICY_PLURAL = 'collectionloadpolicies';
export const BUDGET_KIND = 'CollectionLoadBudget';
export const BUDGET_PLURAL = 'collectionloadbudgets';

/** A new value asks for one refresh load of the policy's loaded collections. */
export const REFRESH_ANNOTATION = `${GROUP}/refresh`;
/** A new value retries every failed collection of the policy now, terminal failures included (like Elasticsearch's `_ilm/retry`). */
export const RETRY_ANNOTATION = `${GROUP}/retry`;
/** `"false"` stops all changes for the policy, like `spec.suspend`. */
export const MANAGED_ANNOTATION = `${GROUP}/managed`;
/** Added with `deletionPolicy: Release`; removed only after the release succeeded. */
export const RELEASE_FINALIZER = `${GROUP}/release`;

export const DEFAULT_DATABASE = 'default';

// Spec defaults the operator reads when a field is absent (the schema fills
// them in at admission; code that sees an undefaulted object uses these).
export const DEFAULT_STATE = 'Loaded';
export const DEFAULT_PRIORITY = 0;
export const DEFAULT_REPLICAS = 1;
export const DEFAULT_LOAD_TIMEOUT_SECONDS = 900;
