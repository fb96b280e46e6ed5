// The workflows of the benchmark's worker: every production workflow plus the bare baseline. The production
// worker bundles workflows/index.ts only, so the baseline never runs in production.
export * from '../workflows';
export { benchNoopWorkflow } from './noop-workflow';
