// Writes rules/schema/rule-file.schema.json from the TypeBox source, so editors check rule files against the
// same shapes the loader validates. Run: npx tsx rules/schema/generate.ts && npx prettier --write rules/schema
// (a test fails when the committed schema is stale).
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RuleFile } from '../rule-file';

export const RULE_FILE_SCHEMA_PATH = fileURLToPath(new URL('./rule-file.schema.json', import.meta.url));

export function ruleFileSchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...RuleFile }, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(RULE_FILE_SCHEMA_PATH, ruleFileSchemaText());
  process.stdout.write(`wrote ${RULE_FILE_SCHEMA_PATH}\n`);
}
