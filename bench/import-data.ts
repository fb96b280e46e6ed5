// The generated contacts file the import benchmark reads: email, phone, profile fields, two subscriptions
// (one of them non_subscribed for a third of the rows) and two categories per row.
import { createWriteStream } from 'node:fs';

// Prefix and digits after it make numbers of a length each country uses (the importer checks it).
const COUNTRIES = [
  ['GB', 'Europe/London', '+447700', 6],
  ['US', 'America/Chicago', '+1415', 7],
  ['DE', 'Europe/Berlin', '+49151', 8],
  ['FR', 'Europe/Paris', '+336', 8],
] as const;

export async function generateContactsCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write(
    'email,phone,first_name,last_name,gender,language,country,timezone,birthday,resource,email_status,sms_status,categories\n',
  );
  for (let i = 0; i < rows; i++) {
    const [country, tz, prefix, digits] = COUNTRIES[i % COUNTRIES.length]!;
    const phone = `${prefix}${String(i).padStart(digits, '0')}`;
    const sms = i % 3 === 0 ? 'non_subscribed' : '';
    await write(
      `user${i}@example.com,${phone},First${i},Last${i},${i % 3},en,${country},${tz},19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10},shop,,${sms},news;promo:unsubscribed\n`,
    );
  }
  await new Promise<void>((r) => out.end(() => r()));
}
