// `npm run temporal:ensure`: build the Temporal CLI if needed and print its path.
import { ensureTemporalCli, TemporalCliError } from './temporal-cli';

try {
  const binary = await ensureTemporalCli();
  process.stdout.write(`${binary}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof TemporalCliError ? err.message : String(err)}\n`);
  process.exit(1);
}
