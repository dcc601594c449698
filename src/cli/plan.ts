// `milvus-load-operator plan`: what the operator would do now, and why, like
// `terraform plan`. The command lives in src/cli/plan/; this is its public
// face for main.ts (which imports it lazily, so `run` does not load plan's
// view code), the tests and the demo.
export { planCommand, type PlanDeps } from './plan/command.ts';
export { PLAN_HELP, parsePlanFlags, type PlanFlags } from './plan/flags.ts';
export { readManifests, type PolicySet } from './plan/inputs.ts';
export { planInstances, readOnly, type InstancePlan } from './plan/instances.ts';
export { renderText, summaryLine, type RenderOptions } from './plan/render.ts';
export { buildReport, type PlanReport, type PlanSummary } from './plan/report.ts';
export { offlineResolver, type Resolver } from './plan/resolvers.ts';
export { scopeTo, viewOf, type BudgetView, type ChangeOp, type InstanceView, type PlannedChange, type PolicyNote } from './plan/view.ts';
