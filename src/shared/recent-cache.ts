/**
 * The latest entries, for lookups of what was just written. Two generations of maps: when the newer
 * one holds `entries` entries or `weight` of weight, the older is dropped whole and the newer takes
 * its place. Unlike a map trimmed from its oldest key (whose iteration then walks every deleted
 * slot), each operation is O(1). It holds between one and two generations' worth.
 */
export class RecentCache<K, V> {
  private current = new Map<K, { value: V; weight: number }>();
  private previous = new Map<K, { value: V; weight: number }>();
  private currentWeight = 0;

  constructor(private readonly limits: { entries: number; weight?: number }) {}

  get(key: K): V | undefined {
    return (this.current.get(key) ?? this.previous.get(key))?.value;
  }

  set(key: K, value: V, weight = 1): void {
    const replaced = this.current.get(key);
    if (replaced) this.currentWeight -= replaced.weight;
    this.previous.delete(key);
    this.current.set(key, { value, weight });
    this.currentWeight += weight;
    if (this.current.size >= this.limits.entries || this.currentWeight >= (this.limits.weight ?? Infinity)) {
      this.previous = this.current;
      this.current = new Map();
      this.currentWeight = 0;
    }
  }

  delete(key: K): void {
    const removed = this.current.get(key);
    if (removed) {
      this.currentWeight -= removed.weight;
      this.current.delete(key);
    }
    this.previous.delete(key);
  }
}
