// The agent's outbox: events numbered from 1 in this stream, kept until the control plane
// acknowledges them. Bounded; the caller applies back-pressure when it is full.
import type { SwitchEvent } from "../../shared/uplink.js";

export class EventBuffer {
  private events: SwitchEvent[] = [];
  /** Sequence number of events[0]. */
  private firstSeq = 1;

  constructor(readonly capacity: number) {}

  /** Appends an event; returns its sequence number. */
  push(event: SwitchEvent): number {
    this.events.push(event);
    return this.firstSeq + this.events.length - 1;
  }

  get size(): number {
    return this.events.length;
  }

  get full(): boolean {
    return this.events.length >= this.capacity;
  }

  /** Highest sequence number handed out so far. */
  get lastSeq(): number {
    return this.firstSeq + this.events.length - 1;
  }

  /** Forgets everything up to and including `upTo`. */
  ack(upTo: number): void {
    const drop = Math.min(Math.max(0, upTo - this.firstSeq + 1), this.events.length);
    if (drop === 0) return;
    this.events = this.events.slice(drop);
    this.firstSeq += drop;
  }

  /** Events after `seq`, at most `max` of them, with the sequence number of the first. */
  after(seq: number, max: number): { from: number; events: SwitchEvent[] } {
    const start = Math.max(seq + 1, this.firstSeq);
    const offset = start - this.firstSeq;
    return { from: start, events: this.events.slice(offset, offset + max) };
  }
}
