// The two CustomResourceDefinitions, built from the schema definitions.
// `npm run generate` writes them to crds/; a test fails when they drift.
import { budgetSpecSchema, budgetStatusSchema } from './budget.ts';
import { BUDGET_KIND, BUDGET_PLURAL, GROUP, POLICY_KIND, POLICY_PLURAL, VERSION } from './constants.ts';
import { toOpenAPI, type OpenAPISchema } from './openapi.ts';
import { policySpecSchema, policyStatusSchema } from './policy.ts';
import type { ObjectNode } from './schema.ts';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean' | 'number';
  jsonPath: string;
  description: string;
  priority?: number;
}

interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortName: string;
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: ObjectNode;
  status: ObjectNode;
  columns: PrinterColumn[];
}

const readyColumn = (what: string): PrinterColumn[] => [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: `Whether ${what} is as declared.` },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Why Ready is what it is.' },
];

export const policyKind: KindDefinition = {
  kind: POLICY_KIND,
  plural: POLICY_PLURAL,
  singular: 'collectionloadpolicy',
  shortName: 'clp',
  scope: 'Namespaced',
  description:
    'CollectionLoadPolicy keeps a selection of Milvus collections loaded into (or released from) query-node memory, optionally only inside time windows, ranked by priority and capped by CollectionLoadBudgets.',
  spec: policySpecSchema,
  status: policyStatusSchema,
  columns: [
    { name: 'State', type: 'string', jsonPath: '.spec.state', description: 'Declared state.' },
    { name: 'Effective', type: 'string', jsonPath: '.status.effectiveState', description: 'State after schedule and suspend.' },
    { name: 'Loaded', type: 'string', jsonPath: '.status.loadedSummary', description: 'Loaded / matched collections.' },
    ...readyColumn('the selection'),
    { name: 'Priority', type: 'integer', jsonPath: '.spec.priority', description: 'Conflict and budget priority.', priority: 1 },
    { name: 'Next-Change', type: 'date', jsonPath: '.status.nextScheduleChange', description: 'Next schedule flip.', priority: 1 },
    { name: 'Milvus', type: 'string', jsonPath: '.spec.milvus.uri', description: 'Milvus instance.', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age of the policy.' },
  ],
};

export const budgetKind: KindDefinition = {
  kind: BUDGET_KIND,
  plural: BUDGET_PLURAL,
  singular: 'collectionloadbudget',
  shortName: 'clb',
  scope: 'Cluster',
  description:
    'CollectionLoadBudget caps the estimated query-node memory that the operator fills on one Milvus instance. Collections that should be loaded are admitted by priority, then age; the rest are Deferred.',
  spec: budgetSpecSchema,
  status: budgetStatusSchema,
  columns: [
    { name: 'Milvus', type: 'string', jsonPath: '.spec.milvusUri', description: 'Milvus instance.' },
    { name: 'Limit', type: 'string', jsonPath: '.spec.memoryLimit', description: 'Memory limit.' },
    { name: 'Used', type: 'string', jsonPath: '.status.used', description: 'Estimated memory admitted.' },
    { name: 'Loaded', type: 'integer', jsonPath: '.status.loadedCollections', description: 'Admitted collections.' },
    { name: 'Deferred', type: 'integer', jsonPath: '.status.deferredCount', description: 'Collections waiting for room.' },
    ...readyColumn('the budget'),
    { name: 'Preemption', type: 'string', jsonPath: '.spec.preemption', description: 'Preemption mode.', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Age of the budget.' },
  ],
};

export const KINDS = [policyKind, budgetKind] as const;

function rootSchema(def: KindDefinition): OpenAPISchema {
  return {
    description: def.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { description: 'APIVersion of this object: `milvusload.io/v1alpha1`.', type: 'string' },
      kind: { description: `Kind of this object: \`${def.kind}\`.`, type: 'string' },
      metadata: { type: 'object' },
      spec: toOpenAPI(def.spec),
      status: toOpenAPI(def.status),
    },
  };
}

export function buildCRD(def: KindDefinition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'milvus-load-operator', 'app.kubernetes.io/part-of': 'milvus-load-operator' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: [def.shortName],
        categories: ['milvus'],
      },
      scope: def.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.columns,
          schema: { openAPIV3Schema: rootSchema(def) },
        },
      ],
    },
  };
}
