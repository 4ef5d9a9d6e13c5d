import type { RawFrame } from './pam';

/**
 * A least-recently-used cache bounded by bytes, not entries: frames differ in size by two orders
 * of magnitude (a 28-pixel thumbnail, a 2040×1088 RGB frame), so a count would bound nothing.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(private budget: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get budgetBytes(): number {
    return this.budget;
  }

  set budgetBytes(budget: number) {
    this.budget = budget;
    this.evict();
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Re-insert to mark it most recently used (a Map iterates in insertion order).
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, bytes: number): void {
    const old = this.entries.get(key);
    if (old) {
      this.used -= old.bytes;
      this.entries.delete(key);
    }
    if (bytes > this.budget) return;
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    this.evict();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.used -= entry.bytes;
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.used <= this.budget) break;
      this.entries.delete(key);
      this.used -= entry.bytes;
    }
  }
}

export const DEFAULT_FRAME_CACHE_BYTES = 512 * 1024 * 1024;

function budgetFromEnvironment(): number {
  const megabytes = Number(process.env.MER_FRAME_CACHE_MB);
  return Number.isFinite(megabytes) && megabytes >= 0
    ? megabytes * 1024 * 1024
    : DEFAULT_FRAME_CACHE_BYTES;
}

/** One cache for raw and encoded frames of every open dataset (MER_FRAME_CACHE_MB overrides). */
export const frameCache = new ByteLru<Uint8Array | RawFrame>(budgetFromEnvironment());

export interface FrameCacheSettings {
  budgetBytes?: number;
}

export function configureFrameCache(settings: FrameCacheSettings): void {
  if (settings.budgetBytes !== undefined) {
    if (!(settings.budgetBytes >= 0)) throw new RangeError('frame cache budget must be ≥ 0 bytes');
    frameCache.budgetBytes = settings.budgetBytes;
  }
}

export function frameCacheStats(): { bytes: number; entries: number; budgetBytes: number } {
  return { bytes: frameCache.bytes, entries: frameCache.size, budgetBytes: frameCache.budgetBytes };
}
