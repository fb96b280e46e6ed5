// Custom search attributes that make automation runs findable in the Web UI. The dev server registers them
// at start (`--search-attribute`); on another cluster run `temporal operator search-attribute create` once.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CONTACT_ID = defineSearchAttributeKey('ContactId', SearchAttributeType.KEYWORD);
export const AUTOMATION = defineSearchAttributeKey('Automation', SearchAttributeType.KEYWORD);
export const LAST_VERDICT = defineSearchAttributeKey('LastVerdict', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [CONTACT_ID, AUTOMATION, LAST_VERDICT];

export const SEARCH_ATTRIBUTE_ARGS: string[] = SEARCH_ATTRIBUTES.flatMap((k) => [
  '--search-attribute',
  `${k.name}=Keyword`,
]);
