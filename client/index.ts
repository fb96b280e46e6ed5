// The client API of the installed package (`import { createAutomationClient } from 'consentflow'`): start and
// steer automations, keep contacts and their consent, ask for a decision. Compiled to dist/index.mjs with
// declarations in dist/types/ by `npm run build`; everything not exported here is internal.
export { loadSettings, DEFAULT_DATABASE_URL, type Settings } from './config';
export { connectClient, TemporalUnreachableError } from './temporal';
export {
  loadTemporalConfig,
  TemporalConfigError,
  type TemporalConnectionConfig,
  type TemporalTransport,
} from './temporal-config';
export {
  createAutomationClient,
  workflowIds,
  AutomationInputError,
  type AutomationClient,
  type AutomationClientOptions,
} from './automations';
export { loadAutomations, DefinitionError, type AutomationCatalog } from './definitions';
export { createPool, ensureDatabase, DatabaseUnreachableError, type Pool } from '../db/pool';
export { migrate, MIGRATIONS_DIR } from '../db/migrate';
export * as contacts from './contacts';
export {
  loadRuleSet,
  RuleSetError,
  decideSend,
  decideWithEngine,
  explainDecision,
  createRuleSource,
  type RuleSet,
  type DecideInput,
  type EngineDecision,
  type RuleSource,
} from '../rules/index';
