/**
 * A value remembered on the object it was made from, under a symbol property that is not
 * enumerable: JSON, structured clone, spread and `Object.assign` leave it behind, and it lives
 * exactly as long as the object. For objects made by the thousand per second, cheaper than a
 * WeakMap, whose ephemeron table every collection has to walk and which grows and shrinks with
 * the churn.
 */
export class ObjectMemo<T> {
  private readonly key: symbol;

  constructor(description: string) {
    this.key = Symbol(description);
  }

  get(object: object): T | undefined {
    return (object as Record<symbol, T | undefined>)[this.key];
  }

  /** Remembers nothing on an object that cannot take a property (frozen, sealed). */
  set(object: object, value: T): void {
    if (Object.isExtensible(object)) Object.defineProperty(object, this.key, { value, writable: true });
  }
}
