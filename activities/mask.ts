// Addresses never leave the activities in clear: not in results, not in failure messages (both land in the
// Temporal history), not in logs.

/** `jane.doe@example.com` -> `j***@example.com`, `+14155550123` -> `+1******0123`. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at > 0) return `${address[0]}***${address.slice(at)}`;
  const digits = address.replace(/[^\d+]/g, '');
  if (digits.length <= 4) return '***';
  return `${digits.slice(0, 2)}${'*'.repeat(Math.max(3, digits.length - 6))}${digits.slice(-4)}`;
}

/** Replaces every occurrence of the given addresses (case-insensitively) by their masked form. */
export function scrubAddresses(text: string, addresses: Iterable<string>): string {
  let out = text;
  for (const address of addresses) {
    if (!address) continue;
    const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(escaped, 'gi'), maskAddress(address));
  }
  return out;
}
