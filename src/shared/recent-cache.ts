/**
 * The latest entries, for lookups of what was just written. Two generations of maps: when the newer
 * one holds `entries` entries or `weight` of weight, the older is dropped whole and the newer takes
 * its place. Unlike a map trimmed from its oldest key (whose iteration then walks every deleted
 * slot), each operation is O(1). It holds between one and two generations' worth.
 */
export class RecentCache<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  /** Weights of the current generation's entries; only kept when a weight limit is set. */
  private weights: Map<K, number> | null;
  private currentWeight = 0;

  constructor(private readonly limits: { entries: number; weight?: number }) {
    this.weights = limits.weight === undefined ? null : new Map();
  }

  get(key: K): V | undefined {
    const value = this.current.get(key);
    return value !== undefined ? value : this.previous.get(key);
  }

  set(key: K, value: V, weight = 1): void {
    this.previous.delete(key);
    this.current.set(key, value);
    if (this.weights) {
      this.currentWeight += weight - (this.weights.get(key) ?? 0);
      this.weights.set(key, weight);
    }
    if (this.current.size >= this.limits.entries || this.currentWeight >= (this.limits.weight ?? Infinity)) {
      this.previous = this.current;
      this.current = new Map();
      if (this.weights) this.weights = new Map();
      this.currentWeight = 0;
    }
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
    if (this.weights) {
      this.currentWeight -= this.weights.get(key) ?? 0;
      this.weights.delete(key);
    }
  }
}
