// A campaign range's audience, page by page, each page read within a window of the next contacts in id order.
// The window's last id bounds the contacts and every other table the segment reads (segments/sql.ts
// existsFor), so PostgreSQL reads the window's subscriptions once, hashed, instead of probing them contact by
// contact, and every page costs the same at the start and the end of a million contacts. How many contacts a
// window spans is learned from the range's pages so far (contacts passed per segment contact found), aiming a
// little over a page. A page is still the next `pageSize` contacts of the segment, as a plain keyset page
// would be: a window that holds fewer is followed by the next window (within a time budget), and a page that
// fills up ends at its last contact, where the next page starts.
import type { Pool, PoolClient } from '../db/pool';
import {
  addSubscriptions,
  readPageContacts,
  type Carrying,
  type ProfilePage,
} from '../db/contacts/profile-pages';
import { audienceFilter, type AudienceScope } from './audience';
import type { Segment } from './segment';

type Db = Pool | PoolClient;

export interface WindowPage {
  page: ProfilePage;
  /** Where the next page starts (its `after`); absent once the range is read to its end. */
  next?: string;
}

export interface WindowRead {
  segment: Segment;
  at: Date;
  /** The range's own end and local hour (the window's end is never past `upTo`). */
  scope: Omit<AudienceScope, 'windowed'>;
  /** Where this page starts: the previous page's `next` ('' for the range's first). */
  after: string;
  pageSize: number;
  carrying?: Carrying | undefined;
}

/** A window holds at most this many contacts: PostgreSQL hashes no more than that of another table at once. */
const MAX_WINDOW = (pageSize: number): number => Math.max(64 * pageSize, 65_536);
/**
 * How far over a page a window aims, so most pages fill within one window (what is left of the window is read
 * for nothing). The segment's contacts in a window vary by about sqrt((1 - p) / n) of their number n (p: the
 * share of contacts the segment selects), and the learned spread, itself one such count, as much again: at
 * most sqrt(2 / n) together. 2.5 of that, 3.5 / sqrt(n), fills about 99 pages in 100: 11% over for pages of
 * 1,000, 5% for 5,000 (the rest read one more window).
 */
const aim = (pageSize: number): number => 1 + 3.5 / Math.sqrt(pageSize);
/**
 * A window that fills a whole page is counted (what it passed teaches the range its spread) once in this many
 * such pages: the count walks most of the window's index again, and a spread that held for the last pages
 * mostly holds for the next. A spread that grew shows without a count (the window runs out before the page
 * fills, and a window read to its end is measured exactly); one that shrank makes the windows a little too
 * long until the next count.
 */
const COUNT_EVERY = 4;
/** A page that has not filled keeps reading windows for at most this long: then it ends where it got to. */
const FILL_BUDGET_MS = 2_000;

export interface AudienceWindowsOptions {
  /** Ranges whose spread is kept (the oldest is forgotten first). */
  capacity?: number;
  /** How long a page that has not filled keeps reading windows (FILL_BUDGET_MS). */
  fillBudgetMs?: number;
}

/**
 * How many contacts per segment contact each range's stretch holds, learned from its pages (a worker
 * process's memory: a range that moves to another worker, or a retry there, starts from a first guess again,
 * which costs only speed).
 */
export class AudienceWindows {
  private readonly ranges = new Map<string, { spread: number; uncounted: number; guessed: boolean }>();

  private readonly capacity: number;
  private readonly fillBudgetMs: number;

  constructor(options: AudienceWindowsOptions = {}) {
    this.capacity = options.capacity ?? 256;
    this.fillBudgetMs = options.fillBudgetMs ?? FILL_BUDGET_MS;
  }

  /**
   * The next page of `range` (any key naming one campaign range): up to `pageSize` of the segment's contacts
   * after `after`, with profiles, read in as many windows as it takes to fill it (within a budget), and where
   * the next page starts.
   */
  async nextPage(db: Db, range: string, read: WindowRead): Promise<WindowPage> {
    if (!(read.pageSize >= 1))
      throw new Error(`a page holds at least one contact (pageSize ${read.pageSize})`);
    const started = Date.now();
    let page: ProfilePage = { ids: [], profiles: new Map() };
    let spread = this.ranges.get(range)?.spread ?? 2;
    let after = read.after;
    for (;;) {
      const wanted = read.pageSize - page.ids.length;
      const whole = wanted === read.pageSize;
      // After an empty window the spread is a guess (four times the last): the window that fills is counted.
      const known = this.ranges.get(range);
      const count = whole && (known === undefined || known.guessed || known.uncounted + 1 >= COUNT_EVERY);
      const window = await readWindow(db, read, after, wanted, spread, count);
      if (window.spread !== undefined) spread = window.spread;
      // Only a window read for a whole page teaches the range: a later one is sized for the few contacts
      // still wanted, and what it found says little about the next page.
      if (whole) this.learn(range, window.spread, window.page.ids.length === 0);
      if (page.ids.length === 0) page = window.page;
      else {
        page.ids.push(...window.page.ids);
        for (const [id, profile] of window.page.profiles) page.profiles.set(id, profile);
      }
      if (window.next === undefined) return { page };
      if (page.ids.length === read.pageSize || Date.now() - started >= this.fillBudgetMs)
        return { page, next: window.next };
      after = window.next;
    }
  }

  /**
   * What a window read for a whole page measured (nothing when it filled and was not counted); `guessed`: the
   * window held none of the segment, and the spread is four times the last rather than a measure.
   */
  private learn(range: string, measured: number | undefined, guessed: boolean): void {
    const known = this.ranges.get(range);
    if (measured === undefined) {
      if (known) known.uncounted++;
      return;
    }
    if (!known && this.ranges.size >= this.capacity)
      this.ranges.delete(this.ranges.keys().next().value as string);
    this.ranges.set(range, { spread: measured, uncounted: 0, guessed });
  }
}

/**
 * Up to `wanted` contacts of the segment from the window after `after` (at least a page's worth of contacts,
 * sized for `wanted` at `spread` contacts per segment contact), where the next read starts, and the spread it
 * measured: exact for a window read to its end or a window that filled a whole page when `count` asks (an
 * index-only count of the contacts it passed), four times as much for a window with none, nothing else.
 */
async function readWindow(
  db: Db,
  read: WindowRead,
  after: string,
  wanted: number,
  spread: number,
  count: boolean,
): Promise<WindowPage & { spread?: number }> {
  const { pageSize } = read;
  const span = Math.round(
    Math.min(MAX_WINDOW(pageSize), Math.max(pageSize, wanted * spread * aim(pageSize))),
  );
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM contacts WHERE id > $1 AND ($2::text IS NULL OR id <= $2) ORDER BY id OFFSET $3 LIMIT 1',
    [after, read.scope.upTo ?? null, span - 1],
  );
  // No contact `span` places on: the rest of the range is smaller than the window; read to the range's end.
  const through = rows[0]?.id;
  const filter = audienceFilter(read.segment, read.at, {
    ...read.scope,
    ...(through !== undefined ? { upTo: through } : {}),
    windowed: true,
  });
  const page = await readPageContacts(db, filter, after, wanted);
  const found = page.ids.length;
  const last = page.ids[found - 1];
  const full = found === wanted;
  // How many contacts the page passed (at most): a window that filled a whole page counts them when asked (the
  // caller asks only for whole pages), to learn from; else the window's span bounds them.
  const countTo = count && full ? last : undefined;
  const passed =
    countTo !== undefined
      ? (
          await db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM contacts WHERE id > $1 AND id <= $2',
            [after, countTo],
          )
        ).rows[0]!.n
      : through !== undefined
        ? span
        : undefined;
  await addSubscriptions(db, page, after, read.carrying, passed);
  const measured =
    through === undefined || passed === undefined || (full && countTo === undefined)
      ? undefined
      : found === 0
        ? Math.min(1e9, spread * 4)
        : Math.max(1, passed / found);
  const next = full ? last : through;
  return {
    page,
    ...(next !== undefined ? { next } : {}),
    ...(measured !== undefined ? { spread: measured } : {}),
  };
}
