// The public face of rules/: load a rule set, decide, explain, lint. Everything else in this folder is
// internal and may change.
export {
  loadRuleSet,
  RuleSetError,
  canonicalJson,
  type RuleSet,
  type RuleProblem,
  type LoadedFile,
} from './load';
export { decideSend } from './decide';
export type { DecideInput } from './facts';
export {
  decideWithEngine,
  type EngineDecision,
  type EngineTrace,
  type RuleTrace,
  type CandidateTrace,
  type EngineFacts,
  type ConditionNode,
} from './engine';
export { createRuleSource, type RuleSource, type RuleSourceOptions } from './source';
export { DecideRequest, validateDecideRequest, type RequestCheck, type RequestError } from './request';
export { lintRuleSet, type LintWarning } from './lint';
export { explainDecision } from './explain';
export { RuleFile } from './rule-file';
export * from './model';
export {
  decideBatch,
  type BatchOptions,
  type BatchResult,
  type HistoryLookup,
  type ProfileLookup,
} from './decide-lines';
