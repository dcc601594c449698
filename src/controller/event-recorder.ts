// Events are written in the background, a few at a time, the way client-go's
// recorder does it (tools/record: a broadcaster of 1,000 queued events that
// drops when full): a slow or throttled Events API then never holds up the
// status writes or the next cell, and an Event that cannot be written costs
// a log line and a count, never a pass. The queue is bounded because what
// fills it (policies changing state) is driven by policy authors.
import type { EventRecord } from '../kube/resources.ts';
import type { Logger } from '../log/logger.ts';

/** Why an Event was not written: the queue was full, or the Kubernetes API refused it or did not answer. */
export type EventLoss = 'dropped' | 'failed';

export interface EventRecorderOptions {
  readonly write: (ev: EventRecord) => Promise<void>;
  readonly log: Logger;
  /** Events waiting at most (client-go: 1,000); later ones are dropped until there is room. */
  readonly capacity?: number;
  /** Writes in flight at once. */
  readonly concurrency?: number;
  readonly onLost?: (why: EventLoss) => void;
}

const DEFAULT_CAPACITY = 1000;
const DEFAULT_CONCURRENCY = 2;

export class EventRecorder {
  private readonly write: (ev: EventRecord) => Promise<void>;
  private readonly log: Logger;
  private readonly capacity: number;
  private readonly concurrency: number;
  private readonly onLost: ((why: EventLoss) => void) | undefined;
  private waiting: (EventRecord | undefined)[] = [];
  /** Index of the next Event to write in `waiting`: shifting up to 1,000 entries per write would be quadratic. */
  private head = 0;
  private inFlight = 0;
  /** Dropped since the queue last had room: one warning per overflow, not one per Event. */
  private droppedInRow = 0;
  private idle: (() => void)[] = [];

  constructor(o: EventRecorderOptions) {
    this.write = o.write;
    this.log = o.log;
    this.capacity = o.capacity ?? DEFAULT_CAPACITY;
    this.concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
    this.onLost = o.onLost;
  }

  /** Events recorded and not yet written or lost. */
  get pending(): number {
    return this.waiting.length - this.head + this.inFlight;
  }

  /** Queues an Event and returns at once; never throws. */
  record(ev: EventRecord): void {
    if (this.waiting.length - this.head >= this.capacity) {
      if (this.droppedInRow++ === 0)
        this.log.warn('events dropped: more are waiting to be written than the queue holds; the Kubernetes API is writing Events slower than the operator makes them', { capacity: this.capacity });
      this.onLost?.('dropped');
      return;
    }
    if (this.droppedInRow > 0) {
      this.log.info('events queued again after an overflow', { dropped: this.droppedInRow });
      this.droppedInRow = 0;
    }
    this.waiting.push(ev);
    this.pump();
  }

  /** Resolves once every Event recorded so far is written or lost (shutdown, tests). */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.head < this.waiting.length) {
      const ev = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      // Written slots are let go of once there are `capacity` of them: a queue that never empties stays under twice that.
      if (this.head === this.waiting.length || this.head >= this.capacity) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      this.inFlight++;
      void this.send(ev);
    }
  }

  private async send(ev: EventRecord): Promise<void> {
    try {
      await this.write(ev);
    } catch (e: unknown) {
      this.log.warn('could not record an event', { error: (e as Error).message, policy: `${ev.target.namespace}/${ev.target.name}`, reason: ev.reason });
      this.onLost?.('failed');
    }
    this.inFlight--;
    this.pump();
    if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}
