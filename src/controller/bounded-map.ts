/**
 * A map with a bound, for the caches the controller and its tracker own:
 * when full, the oldest entry goes. With `recency`, a hit makes an entry the
 * newest (least recently used first); without, entries go in the order they
 * were put (no work on a hit: the check-in path reads three per call).
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    private readonly max: number,
    private readonly recency = false,
  ) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (this.recency && v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  /** Forget `key` if it still holds `value` (a load that failed, not a newer one put since). */
  drop(key: K, value: V): void {
    if (this.map.get(key) === value) this.map.delete(key);
  }

  deleteWhere(test: (v: V) => boolean): void {
    for (const [k, v] of this.map) if (test(v)) this.map.delete(k);
  }
}
