// Custom search attributes that make automation runs findable in the Web UI. The dev server registers them
// at start (`--search-attribute`); on another cluster run `temporal operator search-attribute create` once.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CONTACT_ID = defineSearchAttributeKey('ContactId', SearchAttributeType.KEYWORD);
export const AUTOMATION = defineSearchAttributeKey('Automation', SearchAttributeType.KEYWORD);
export const LAST_VERDICT = defineSearchAttributeKey('LastVerdict', SearchAttributeType.KEYWORD);
/** Every verdict any decision of the run gave (`send`, `suppress`, `defer`): `Verdicts = "suppress"`. */
export const VERDICTS = defineSearchAttributeKey('Verdicts', SearchAttributeType.KEYWORD_LIST);
/** Every rule that decided a verdict or ended a step of the run: `DecidedBy = "gate:blacklist"`. */
export const DECIDED_BY = defineSearchAttributeKey('DecidedBy', SearchAttributeType.KEYWORD_LIST);

export const SEARCH_ATTRIBUTES = [CONTACT_ID, AUTOMATION, LAST_VERDICT, VERDICTS, DECIDED_BY];

/** The type names the Temporal CLI takes (`--search-attribute Name=Type`, `--type Type`). */
export function cliTypeOf(key: (typeof SEARCH_ATTRIBUTES)[number]): 'Keyword' | 'KeywordList' {
  return key.type === SearchAttributeType.KEYWORD_LIST ? 'KeywordList' : 'Keyword';
}

export const SEARCH_ATTRIBUTE_ARGS: string[] = SEARCH_ATTRIBUTES.flatMap((k) => [
  '--search-attribute',
  `${k.name}=${cliTypeOf(k)}`,
]);
