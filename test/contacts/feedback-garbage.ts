// Seeded garbage for the feedback fuzz test: events with wrong types, extreme numbers and dates (DST edges,
// out-of-range years), deep nesting, huge and unicode lines, broken JSON.

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function feedbackGarbage(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const unicode = () =>
    Array.from({ length: 1 + int(12) }, () =>
      pick([
        () => String.fromCodePoint(0x20 + int(0x5f)),
        () => String.fromCodePoint(0xff01 + int(0x5e)), // full-width forms
        () => String.fromCodePoint(0x1f300 + int(0x300)), // emoji
        () => pick(['\u200b', '\u00ad', '\ufeff', '\u202e', '\u0301', '\ud800', '\t', '\u2028']),
        () => String.fromCodePoint(0x4e00 + int(0x5000)),
      ])(),
    ).join('');
  const dates = [
    '2025-03-09T02:30:00-05:00',
    '2025-03-09T02:30:00',
    '2025-11-02T01:30:00-04:00',
    '2025-11-02T01:30:00-05:00',
    '2025-10-26T02:30:00+02:00',
    '2025-02-29T00:00:00Z',
    '2024-02-29T23:59:60Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '0000-01-01T00:00:00Z',
    '2999-12-31T23:59:59Z',
    '2025-06-01T12:00:00.123456789Z',
    '2025-06-01 12:00:00Z',
    '1e999',
    'NaN',
    '',
  ];
  const numbers = [0, -0, 1e308, -1e308, 2 ** 53 + 1, 8.64e15, 8.64e15 + 1, 0.1, -1];
  const scalar = (): unknown =>
    pick([
      () => null,
      () => true,
      () => pick(numbers),
      () => unicode(),
      () => pick(dates),
      () => pick(['STOP', 'ＳＴＯＰ', 'Stop.', 'start', 'HELP', "don't stop", 'x'.repeat(int(3000))]),
    ])();
  const nested = (depth: number): unknown =>
    depth === 0 ? scalar() : pick([() => [nested(depth - 1)], () => ({ a: nested(depth - 1) })])();
  const value = (): unknown =>
    pick([scalar, scalar, () => nested(1 + int(40)), () => [scalar(), scalar()], () => ({ k: scalar() })])();
  // A plausible event with zero to two fields replaced by garbage, so every check and the write path are
  // reached, not only the first field that is wrong.
  const plausible = (): Record<string, unknown> => {
    const kind = pick([
      'inbound_sms',
      'inbound_sms',
      'hard_bounce',
      'complaint',
      'unsubscribe',
      'resubscribe',
    ]);
    const sms = kind === 'inbound_sms' || rand() < 0.3;
    const e: Record<string, unknown> = {
      kind,
      channel: sms ? 'sms' : 'email',
      address: sms ? pick(['+14155557001', '+1 (415) 555-7001', '+14155557999']) : 'fuzz@example.com',
    };
    if (kind === 'inbound_sms')
      e.text = pick(['STOP', 'ＳＴＯＰ', 'Stop.', 'start', 'HELP', "don't stop", unicode()]);
    if (rand() < 0.3) e.resource = pick(['shop', 'news', 'no such resource!']);
    if (rand() < 0.7) e.at = pick(dates);
    if (rand() < 0.3) e.source = pick([{ provider: 'fuzz', id: int(1000) }, 'webhook', nested(int(20))]);
    return e;
  };
  const fields = ['kind', 'channel', 'address', 'text', 'resource', 'at', 'source'];
  const event = (): Record<string, unknown> => {
    const e = plausible();
    for (let i = int(3); i > 0; i--) {
      const r = rand();
      if (r < 0.7) e[pick(fields)] = value();
      else if (r < 0.85) delete e[pick(fields)];
      else e[pick(['extra', 'Kind', 'adress', '__proto__', 'x'.repeat(int(5000))])] = value();
    }
    return e;
  };
  const line = (): string =>
    pick([
      () => JSON.stringify(event()),
      () => JSON.stringify(event()),
      () => JSON.stringify(event()),
      () => JSON.stringify(event()),
      () => JSON.stringify(event()),
      () => JSON.stringify(event()),
      () => JSON.stringify(value()),
      () => `${'['.repeat(5000 + int(50_000))}${']'.repeat(int(10))}`,
      () => `{"kind": "inbound_sms", "text": "${unicode()}`,
      () => (rand() < 0.5 ? unicode() : ''),
      () => JSON.stringify({ ...event(), text: 'x'.repeat(70_000 + int(200_000)) }),
      () => JSON.stringify(event()).replace(/"/g, "'"),
    ])();
  return { event, line, value };
}
