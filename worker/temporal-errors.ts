// Temporal's native errors carry a gRPC status dump ("Status { code: NotFound, message: …, details: b\"…\" }").
// An operator needs the sentence before it, and what to do.

export function describeTemporalError(err: unknown, namespace?: string): string {
  const raw = err instanceof Error ? err.message : String(err);
  const sentence = (raw.split(/: Status \{|\n/)[0] ?? raw).trim();
  if (/namespace .*not found/i.test(raw)) {
    const ns = namespace ?? 'NAME';
    return (
      `${sentence}. Create it (temporal operator namespace create --namespace ${ns}) ` +
      `or set TEMPORAL_NAMESPACE to an existing one`
    );
  }
  return sentence;
}
