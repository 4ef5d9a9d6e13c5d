import { EventEmitter } from 'node:events';
import type { EventMap, EventName } from '../../shared/contract';
import type { DatasetIndex } from '../../shared/domain';

/**
 * The backend's state for one host: the opened dataset and the services built on it.
 * Handlers receive it; no handler keeps state of its own.
 */
export class AppContext {
  readonly events = new EventEmitter();
  private openedDataset: DatasetIndex | null = null;
  private readonly closers: Array<() => Promise<void> | void> = [];

  constructor(
    readonly host: 'electron' | 'web' | 'cli',
    /** The app's own data folder (settings, caches, annotations of read-only datasets). */
    readonly dataFolder: string,
    /** Coder identity used for new annotations. */
    public coder = 'coder1',
  ) {}

  get dataset(): DatasetIndex | null {
    return this.openedDataset;
  }

  requireDataset(): DatasetIndex {
    if (!this.openedDataset)
      throw new NotFoundError('no dataset is open: open a dataset folder first');
    return this.openedDataset;
  }

  setDataset(dataset: DatasetIndex): void {
    this.openedDataset = dataset;
  }

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    this.events.emit(event, payload);
  }

  /** Registers clean-up (sessions, workers) run by close(). */
  onClose(closer: () => Promise<void> | void): void {
    this.closers.push(closer);
  }

  async close(): Promise<void> {
    for (const closer of this.closers.splice(0).reverse()) await closer();
  }
}

/** A request named something that does not exist (clip, file, frame). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** A request reaching outside what the renderer may touch. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}
