// Groups validated rows into batches and writes them on up to `lanes` connections while the file is still
// being read, so parsing and the database overlap and the database can use more than one core.
//
// Order: rows about the same contact (same id, email or phone) must land in file order, the later row
// winning. A batch never holds two rows about one contact; a row about a contact whose batch is still being
// written makes its own batch wait until every write in flight has finished.
import type { PoolClient } from '../../pool';
import type { StagedContact } from '../types';

export type WriteBatch = (client: PoolClient, rows: StagedContact[]) => Promise<void>;

interface Lane {
  client: PoolClient;
  writing: Promise<void>;
  /** Keys of the batch this lane is writing; emptied when it is done. */
  keys: Set<string>;
}

export class BatchPipeline {
  private readonly lanes: Lane[];
  private next = 0;
  private rows: StagedContact[] = [];
  private keys = new Set<string>();
  /** The batch being filled must wait for every write in flight. */
  private barrier = false;
  private failure: { error: unknown } | null = null;

  constructor(
    clients: PoolClient[],
    private readonly batchSize: number,
    private readonly write: WriteBatch,
  ) {
    this.lanes = clients.map((client) => ({ client, writing: Promise.resolve(), keys: new Set() }));
  }

  /** Returns a promise only when the row closed a batch and the caller has to wait for a free lane. */
  add(row: StagedContact): Promise<void> | undefined {
    const keys = contactKeys(row);
    for (const k of keys) if (this.keys.has(k)) return this.flush().then(() => this.add(row));
    for (const lane of this.lanes) for (const k of keys) if (lane.keys.has(k)) this.barrier = true;
    for (const k of keys) this.keys.add(k);
    this.rows.push(row);
    return this.rows.length >= this.batchSize ? this.flush() : undefined;
  }

  /** Starts writing the current batch as soon as a lane is free. */
  async flush(): Promise<void> {
    const lane = this.lanes[this.next]!;
    this.next = (this.next + 1) % this.lanes.length;
    await (this.barrier ? this.idle() : lane.writing);
    if (this.failure) throw this.failure.error;
    if (!this.rows.length) return;
    const rows = this.rows;
    lane.keys = this.keys;
    this.rows = [];
    this.keys = new Set();
    this.barrier = false;
    lane.writing = this.write(lane.client, rows).then(
      () => void (lane.keys = new Set()),
      (error: unknown) => void (this.failure ??= { error }),
    );
  }

  /** Writes what is left and waits for every lane; throws the first write failure. */
  async finish(): Promise<void> {
    await this.flush();
    await this.idle();
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every write in flight, without throwing. */
  async idle(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.writing));
  }
}

/** Ids, emails and phones cannot be mistaken for each other (ids have no "@" or "+"), so one set holds all. */
function contactKeys(row: StagedContact): string[] {
  const keys: string[] = [];
  if (row.id) keys.push(row.id);
  if (row.email) keys.push(row.email);
  if (row.phone) keys.push(row.phone);
  return keys;
}
