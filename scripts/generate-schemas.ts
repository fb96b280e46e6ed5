// Writes the JSON Schemas of automation definitions and segments from their TypeBox sources (`npm run schemas`
// is not a script: run npx tsx scripts/generate-schemas.ts). Tests fail when a committed schema is stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AUTOMATIONS_DIR, AutomationSchema } from '../client/definitions';
import { REPO_ROOT } from '../client/config';
import { Segment } from '../segments/segment';

export const SEGMENT_SCHEMA_PATH = path.join(REPO_ROOT, 'segments', 'schema', 'segment.schema.json');

export function automationSchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...AutomationSchema }, null, 2)}\n`;
}

export function segmentSchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...Segment }, null, 2)}\n`;
}

if (process.argv[1]?.endsWith('generate-schemas.ts')) {
  const dir = path.join(AUTOMATIONS_DIR, 'schema');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'automation.schema.json'), automationSchemaText());
  process.stdout.write(`wrote ${path.join(dir, 'automation.schema.json')}\n`);
  mkdirSync(path.dirname(SEGMENT_SCHEMA_PATH), { recursive: true });
  writeFileSync(SEGMENT_SCHEMA_PATH, segmentSchemaText());
  process.stdout.write(`wrote ${SEGMENT_SCHEMA_PATH}\n`);
}
