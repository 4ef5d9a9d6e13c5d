/** A frame being fetched; one nobody keeps is given up once the viewer has moved away from it. */
interface Load {
  bitmap: Promise<ImageBitmap>;
  stop: AbortController;
  kept: boolean;
}

/**
 * Decoded frames on the client: fetched once, decoded off the main thread by createImageBitmap,
 * kept in a small LRU so stepping and hold-to-scrub draw from memory. The viewer advances only
 * to frames that are ready here, so it never skips or repeats an index.
 */
export class FrameBitmaps {
  private readonly pending = new Map<string, Load>();
  /** The frame the viewer waits for now. */
  private shown = '';
  private readonly ready = new Map<string, ImageBitmap>();
  private readonly queue: Array<{ clipId: string; index: number; kept: boolean }> = [];
  private active = 0;
  private bytes = 0;
  /** The open dataset: clip ids repeat across datasets (CASME II raw and cropped). */
  private dataset = '';

  constructor(
    private readonly urlOf: (clipId: string, index: number, dataset: string) => string,
    /** Decoded bytes kept (RGBA: a 640×480 frame is 1.2 MB, so 256 MB holds about 200). */
    private readonly budgetBytes = 256 * 1024 * 1024,
    private readonly concurrency = 6,
  ) {}

  /** Forgets every frame: another dataset is open. */
  reset(dataset: string): void {
    if (dataset === this.dataset) return;
    this.dataset = dataset;
    for (const load of this.pending.values()) load.stop.abort();
    this.pending.clear();
    this.ready.clear();
    this.queue.length = 0;
    this.bytes = 0;
  }

  /** The bitmap when it is decoded already (marks it recently used). */
  peek(clipId: string, index: number): ImageBitmap | undefined {
    const key = keyOf(clipId, index);
    const bitmap = this.ready.get(key);
    if (bitmap) {
      this.ready.delete(key);
      this.ready.set(key, bitmap);
    }
    return bitmap;
  }

  /** A frame wanted until it arrives (a reference frame, a clip's first frame, a range to play). */
  get(clipId: string, index: number): Promise<ImageBitmap> {
    return this.fetchFrame(clipId, index, true);
  }

  /**
   * The frame the viewer shows next. It stops being wanted once the viewer shows another and it
   * is not among the frames prefetched around that one: then its request is given up, so the
   * backend stops decoding it (scrubbing through a video does not queue up every frame passed).
   */
  show(clipId: string, index: number): Promise<ImageBitmap> {
    this.shown = keyOf(clipId, index);
    return this.fetchFrame(clipId, index, false);
  }

  private fetchFrame(clipId: string, index: number, kept: boolean): Promise<ImageBitmap> {
    const ready = this.peek(clipId, index);
    if (ready) return Promise.resolve(ready);
    const key = keyOf(clipId, index);
    let load = this.pending.get(key);
    if (!load) {
      const stop = new AbortController();
      const bitmap = this.load(clipId, index, stop.signal).finally(() => {
        if (this.pending.get(key) === load) this.pending.delete(key);
      });
      load = { bitmap, stop, kept };
      this.pending.set(key, load);
    }
    load.kept ||= kept;
    return load.bitmap;
  }

  /** Gives up the frames being fetched that nobody keeps, other than the shown one and `wanted`. */
  private giveUpAllBut(wanted: Set<string>): void {
    for (const [key, load] of this.pending) {
      if (load.kept || key === this.shown || wanted.has(key)) continue;
      load.stop.abort();
      this.pending.delete(key);
    }
  }

  /** Decodes the frames ahead (in the direction of travel) and a few behind, nearest first. */
  prefetch(
    clipId: string,
    center: number,
    direction: 1 | -1,
    frameCount: number,
    ahead = 32,
    behind = 6,
  ): void {
    const wanted: number[] = [];
    for (let step = 1; step <= Math.max(ahead, behind); step++) {
      if (step <= ahead) wanted.push(center + direction * step);
      if (step <= behind) wanted.push(center - direction * step);
    }
    this.queue.length = 0;
    const keys = new Set<string>();
    for (const index of wanted) {
      if (index < 0 || index >= frameCount) continue;
      const key = keyOf(clipId, index);
      keys.add(key);
      if (!this.ready.has(key) && !this.pending.has(key)) {
        this.queue.push({ clipId, index, kept: false });
      }
    }
    this.giveUpAllBut(keys);
    this.pump();
  }

  /** Every frame of a range (e.g. onset→offset before looping it). */
  prefetchRange(clipId: string, from: number, to: number): void {
    this.queue.length = 0;
    for (let index = from; index <= to; index++) {
      const key = keyOf(clipId, index);
      if (!this.ready.has(key) && !this.pending.has(key)) {
        this.queue.push({ clipId, index, kept: true });
      }
    }
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.active++;
      this.fetchFrame(next.clipId, next.index, next.kept)
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }

  private async load(clipId: string, index: number, signal: AbortSignal): Promise<ImageBitmap> {
    const dataset = this.dataset;
    const url = this.urlOf(clipId, index, dataset);
    let response: Response;
    try {
      response = await fetch(url, { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      // A policy that allows the frame protocol for images only (not for fetch): decode via <img>.
      const bitmap = await bitmapViaImage(url, `${clipId} frame ${index}`);
      return this.remember(clipId, index, bitmap, dataset);
    }
    if (!response.ok) {
      const reason = (await response.text().catch(() => '')).trim() || `HTTP ${response.status}`;
      throw new Error(reason);
    }
    return this.remember(clipId, index, await createImageBitmap(await response.blob()), dataset);
  }

  private remember(
    clipId: string,
    index: number,
    bitmap: ImageBitmap,
    dataset: string,
  ): ImageBitmap {
    if (dataset !== this.dataset) return bitmap; // asked for before another dataset opened
    this.ready.set(keyOf(clipId, index), bitmap);
    this.bytes += sizeOf(bitmap);
    while (this.bytes > this.budgetBytes && this.ready.size > 1) {
      // Dropped, not closed: the viewer may still be drawing it (e.g. the onset reference).
      const [oldest, dropped] = this.ready.entries().next().value as [string, ImageBitmap];
      this.ready.delete(oldest);
      this.bytes -= sizeOf(dropped);
    }
    return bitmap;
  }
}

async function bitmapViaImage(url: string, what: string): Promise<ImageBitmap> {
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
  } catch {
    throw new Error(`${what} could not be loaded or decoded`);
  }
  return createImageBitmap(image);
}

function sizeOf(bitmap: ImageBitmap): number {
  return bitmap.width * bitmap.height * 4;
}

function keyOf(clipId: string, index: number): string {
  return `${clipId}\0${index}`;
}
