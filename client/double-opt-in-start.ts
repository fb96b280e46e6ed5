// Starting the double opt-in workflow (workflows/double-opt-in.ts): id `doi-<contactId>`, the id policy of
// client/id-policies.ts, and the Web UI's summary, search attributes and memo, like every automation run.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { doubleOptInWorkflow, type DoubleOptInInput } from '../workflows/double-opt-in';
import { AUTOMATION, CONTACT_ID, LAST_VERDICT } from '../contracts/search-attributes';
import { ID_POLICIES, workflowIds } from './id-policies';

export async function startDoubleOptInRun(
  client: Client,
  taskQueue: string,
  input: DoubleOptInInput,
): Promise<string> {
  const { contactId, resource, releases } = input;
  const id = workflowIds.doubleOptIn(contactId);
  try {
    await client.workflow.start(doubleOptInWorkflow, {
      taskQueue,
      workflowId: id,
      workflowIdConflictPolicy: ID_POLICIES.doubleOptIn.conflict,
      workflowIdReusePolicy: ID_POLICIES.doubleOptIn.reuse,
      staticSummary: `double opt-in · contact ${contactId}${resource ? ` · ${resource}` : ''}`,
      staticDetails: `Sends the double opt-in confirmation email to contact \`${contactId}\` and waits for the confirmation${releases ? `, then releases \`${releases}\`` : ''}.`,
      typedSearchAttributes: [
        { key: CONTACT_ID, value: contactId },
        { key: AUTOMATION, value: 'double_opt_in' },
        { key: LAST_VERDICT, value: 'none' },
      ] as SearchAttributePair[],
      memo: { automation: 'double_opt_in', version: 1, kind: 'double_opt_in' },
      args: [input],
    });
  } catch (err) {
    // Already waiting for this contact's confirmation (a retried call): nothing more to send.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return id;
}
