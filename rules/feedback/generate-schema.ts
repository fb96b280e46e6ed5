// Writes rules/feedback/sms-keywords.schema.json from the TypeBox source, so editors check the keyword file
// against the shape the loader validates. Run: npx tsx rules/feedback/generate-schema.ts && npx prettier
// --write rules/feedback (a test fails when the committed schema is stale).
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SmsKeywordsFile } from './sms-keywords';

export const SMS_KEYWORDS_SCHEMA_PATH = fileURLToPath(new URL('./sms-keywords.schema.json', import.meta.url));

export function smsKeywordsSchemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...SmsKeywordsFile }, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(SMS_KEYWORDS_SCHEMA_PATH, smsKeywordsSchemaText());
  process.stdout.write(`wrote ${SMS_KEYWORDS_SCHEMA_PATH}\n`);
}
