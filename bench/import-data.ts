// The generated contacts file the import benchmark reads: email, phone, profile fields, two subscriptions
// (one of them non_subscribed for a third of the rows) and two categories per row.
import { createWriteStream } from 'node:fs';

const COUNTRIES = [
  ['GB', 'Europe/London', '+4477009'],
  ['US', 'America/Chicago', '+1415555'],
  ['DE', 'Europe/Berlin', '+4915112'],
  ['FR', 'Europe/Paris', '+3361234'],
] as const;

export async function generateContactsCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
  await write(
    'email,phone,first_name,last_name,gender,language,country,timezone,birthday,resource,email_status,sms_status,categories\n',
  );
  for (let i = 0; i < rows; i++) {
    const [country, tz, prefix] = COUNTRIES[i % COUNTRIES.length]!;
    const phone = `${prefix}${String(i).padStart(6, '0')}`;
    const sms = i % 3 === 0 ? 'non_subscribed' : '';
    await write(
      `user${i}@example.com,${phone},First${i},Last${i},${i % 3},en,${country},${tz},19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10},shop,,${sms},news;promo:unsubscribed\n`,
    );
  }
  await new Promise<void>((r) => out.end(() => r()));
}
