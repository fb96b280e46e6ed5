// The idempotency key of one message: outbox row, decision log, step_outcomes, Message-ID header. Scoped to the
// automation's run chain (the first execution run id survives continue-as-new and reset), so a workflow id
// reused after its run ended (a cart that gets new items) starts fresh; or to a business id where the business
// has one (a custom event's id), so the same event replayed into a new run is recognised as a duplicate.
export function messageKeyFor(workflowId: string, scope: string, step: string): string {
  return `${workflowId}/${scope}/${step}`;
}
