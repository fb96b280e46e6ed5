// Addresses never leave the activities in clear: not in results, not in failure messages (both land in the
// Temporal history), not in logs.

/**
 * `jane.doe@example.com` -> `j***@e***.com`, `+14155550123` -> `+1******0123`. The domain is masked too: a
 * company's own domain identifies a person as well as the local part does.
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at > 0) {
    const domain = address.slice(at + 1);
    const dot = domain.lastIndexOf('.');
    const masked = dot > 0 ? `${domain[0]}***${domain.slice(dot)}` : '***';
    return `${address[0]}***@${masked}`;
  }
  const digits = address.replace(/[^\d+]/g, '');
  if (digits.length <= 4) return '***';
  return `${digits.slice(0, 2)}${'*'.repeat(Math.max(3, digits.length - 6))}${digits.slice(-4)}`;
}

/** Replaces every occurrence of the given addresses (case-insensitively) by their masked form. */
export function scrubAddresses(text: string, addresses: Iterable<string>): string {
  let out = text;
  let lower: string | undefined;
  for (const address of addresses) {
    if (!address) continue;
    // Most texts name no address: a plain search first spares a RegExp per address (a campaign's batch
    // decides a million contacts, each with reasons to scrub).
    lower ??= out.toLowerCase();
    if (!lower.includes(address.toLowerCase())) continue;
    lower = undefined;
    const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(escaped, 'gi'), maskAddress(address));
  }
  return out;
}
