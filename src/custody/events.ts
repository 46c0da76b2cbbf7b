/**
 * The `events` of the chains `appendEvent` returns: read-only array views over one shared,
 * append-only store, so that appending an event costs O(1) instead of a copy of the whole array
 * (which made building an n-event chain O(n²): 64–69 s for 100,000 events, issue 23).
 *
 * A view is a Proxy over an empty array of its own: `Array.isArray` is true, `length` and the
 * indices read the store up to the view's length, iteration and every `Array.prototype` method
 * work through them, and every write (`set`, `defineProperty`, `deleteProperty`,
 * `setPrototypeOf`, `preventExtensions`) is refused (a TypeError in strict code), so a view
 * never changes once made. The store only grows beyond the end of the longest view on it:
 * extending a view that is not the longest (a fork: two events appended to one chain value)
 * copies that view's prefix into a new store first. Structured clone refuses Proxies: send
 * `[...chain.events]` or the serialized chain to a worker.
 */
import { fail } from '../errors.js';

/** Canonical array index of a property key, or -1 ("01", "-0", "1e3" and symbols are not indices). */
function indexOf(key: string | symbol): number {
  if (typeof key !== 'string') return -1;
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return -1;
  const i = Number(key);
  return Number.isSafeInteger(i) && String(i) === key ? i : -1;
}

class ViewHandler implements ProxyHandler<Uint8Array[]> {
  constructor(
    readonly store: Uint8Array[],
    readonly length: number,
  ) {}

  get(target: Uint8Array[], key: string | symbol, receiver: unknown): unknown {
    if (key === 'length') return this.length;
    const i = indexOf(key);
    if (i >= 0) return i < this.length ? this.store[i] : undefined;
    return Reflect.get(target, key, receiver);
  }

  has(target: Uint8Array[], key: string | symbol): boolean {
    if (key === 'length') return true;
    const i = indexOf(key);
    if (i >= 0) return i < this.length;
    return Reflect.has(target, key);
  }

  getOwnPropertyDescriptor(target: Uint8Array[], key: string | symbol): PropertyDescriptor | undefined {
    // `length` must be reported as the target's is (non-configurable, writable); writes to it are refused below
    if (key === 'length') return { value: this.length, writable: true, enumerable: false, configurable: false };
    const i = indexOf(key);
    if (i >= 0) return i < this.length ? { value: this.store[i], writable: false, enumerable: true, configurable: true } : undefined;
    return Reflect.getOwnPropertyDescriptor(target, key);
  }

  ownKeys(): (string | symbol)[] {
    const keys: string[] = [];
    for (let i = 0; i < this.length; i++) keys.push(String(i));
    keys.push('length');
    return keys;
  }

  set(): boolean {
    return false;
  }
  defineProperty(): boolean {
    return false;
  }
  deleteProperty(): boolean {
    return false;
  }
  setPrototypeOf(): boolean {
    return false;
  }
  preventExtensions(): boolean {
    return false;
  }
}

// view → its handler: only views made here are extended in place
const handlers = new WeakMap<object, ViewHandler>();

// Node's util.inspect (console.log) formats a Proxy's target, not what its traps show: the
// empty target carries this hook so that a view prints as the events it holds.
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function view(store: Uint8Array[], length: number): readonly Uint8Array[] {
  const handler = new ViewHandler(store, length);
  const target: Uint8Array[] = [];
  Object.defineProperty(target, INSPECT, { value: () => store.slice(0, length), enumerable: false, configurable: true });
  const v = new Proxy<Uint8Array[]>(target, handler);
  handlers.set(v, handler);
  return v;
}

/** The empty view (each call its own, so that the first append never forks). */
export function emptyEvents(): readonly Uint8Array[] {
  return view([], 0);
}

/** Whether `events` is a view made by this module (its contents are then fixed). */
export function isEventsView(events: unknown): boolean {
  return typeof events === 'object' && events !== null && handlers.has(events);
}

/**
 * A view of `events` copied into a store of its own (its length and each index read once, so a
 * getter cannot show one thing to a check and another to the copy): what appending to a chain
 * not made here starts from. More than `limit` events is ERR_LIMIT, before anything is copied.
 */
export function snapshotEvents(events: readonly Uint8Array[], limit: number): readonly Uint8Array[] {
  const n = events.length;
  if (!(Number.isSafeInteger(n) && n >= 0)) fail('ERR_INVALID_ARGUMENT', '"events" has no valid length');
  if (n > limit) fail('ERR_LIMIT', `a chain holds at most ${limit} events`);
  const store: Uint8Array[] = [];
  for (let i = 0; i < n; i++) store.push(events[i]!);
  return view(store, n);
}

/**
 * `events` followed by `next`, as a new view; `events` (a view from this module) is unchanged.
 * Amortised O(1) when `events` is the longest view on its store; O(length) for a fork.
 */
export function eventsWith(events: readonly Uint8Array[], next: Uint8Array): readonly Uint8Array[] {
  const h = handlers.get(events);
  if (h === undefined) fail('ERR_INTERNAL', 'eventsWith expects a view made by this module');
  const store = h.store.length === h.length ? h.store : h.store.slice(0, h.length);
  store.push(next);
  return view(store, store.length);
}
