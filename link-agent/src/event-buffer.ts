// The agent's outbox: events numbered from 1 within a stream, kept until the control plane
// acknowledges them. Each event is serialized once, when it is enqueued, so a resend costs no JSON
// work. A queue with a moving head: push, ack and lookup by sequence number are O(1) (amortized),
// whatever the backlog. `capacity` is where back-pressure starts; the buffer itself never drops.

export interface BufferedEvent {
  /** The event's JSON, exactly as it goes into an `events` message. */
  json: string;
  /** UTF-8 length of `json`. */
  bytes: number;
}

/** Compact the backing array once this many acknowledged slots sit in front of the head. */
const COMPACT_AFTER = 4096;

export class EventBuffer {
  private items: BufferedEvent[] = [];
  /** Index in `items` of the oldest unacknowledged event. */
  private head = 0;
  /** Sequence number of items[head]. */
  private firstSeq = 1;

  constructor(readonly capacity: number) {}

  /** Appends an event; returns its sequence number. */
  push(event: BufferedEvent): number {
    this.items.push(event);
    return this.lastSeq;
  }

  /** Unacknowledged events held. */
  get size(): number {
    return this.items.length - this.head;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** Highest sequence number handed out so far (0 before the first). */
  get lastSeq(): number {
    return this.firstSeq + this.size - 1;
  }

  /** Everything up to here is acknowledged (and gone from the buffer). */
  get ackedUpTo(): number {
    return this.firstSeq - 1;
  }

  /** The event with this sequence number, while it is held. */
  at(seq: number): BufferedEvent | undefined {
    const offset = seq - this.firstSeq;
    return offset >= 0 && offset < this.size ? this.items[this.head + offset] : undefined;
  }

  /** Forgets everything up to and including `upTo`. */
  ack(upTo: number): void {
    const drop = Math.min(Math.max(0, upTo - this.firstSeq + 1), this.size);
    if (drop === 0) return;
    this.head += drop;
    this.firstSeq += drop;
    // moving the tail down only when the dead front outweighs it keeps this O(1) per event
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** A new stream: the held events are numbered again from 1 (acknowledgements of the old stream no longer apply). */
  renumber(): void {
    this.firstSeq = 1;
  }
}
