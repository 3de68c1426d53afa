import { describe, expect, it } from 'vitest';
import { chunk, groupBy, mapConcurrent } from '../../src/core/collections.js';

const range = (n: number) => Array.from({ length: n }, (_, index) => index);

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run, so workers reach their next await. */
const flush = async () => {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
};

describe('chunk', () => {
  it.each([
    { length: 0, size: 10, sizes: [] },
    { length: 1, size: 10, sizes: [1] },
    { length: 10, size: 10, sizes: [10] },
    { length: 11, size: 10, sizes: [10, 1] },
    { length: 25, size: 10, sizes: [10, 10, 5] },
    { length: 100, size: 100, sizes: [100] },
    { length: 101, size: 100, sizes: [100, 1] },
    { length: 250, size: 100, sizes: [100, 100, 50] },
    { length: 3, size: 1, sizes: [1, 1, 1] },
  ])('$length items in groups of $size → $sizes', ({ length, size, sizes }) => {
    const items = range(length);
    const groups = chunk(items, size);
    expect(groups.map((group) => group.length)).toEqual(sizes);
    expect(groups.flat()).toEqual(items);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses size %s', (size) => {
    expect(() => chunk([1, 2, 3], size)).toThrow(RangeError);
  });

  it('does not mutate its input', () => {
    const items = Object.freeze(range(5));
    expect(chunk(items, 2)).toEqual([[0, 1], [2, 3], [4]]);
  });
});

describe('groupBy', () => {
  it('groups in first-seen order', () => {
    expect([...groupBy(['a1', 'b1', 'a2'], (item) => item[0])]).toEqual([
      ['a', ['a1', 'a2']],
      ['b', ['b1']],
    ]);
  });
});

describe('mapConcurrent', () => {
  it('keeps input order even when later items finish first', async () => {
    const gates = range(5).map(() => deferred<string>());
    const running = mapConcurrent(range(5), 5, (item) => gates[item]!.promise);
    for (const index of [4, 2, 0, 3, 1]) gates[index]!.resolve(`r${index}`);
    await expect(running).resolves.toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('passes each item with its index', async () => {
    await expect(mapConcurrent(['a', 'b', 'c'], 2, async (item, index) => `${item}${index}`)).resolves.toEqual(['a0', 'b1', 'c2']);
  });

  it.each([
    { items: 10, limit: 3 },
    { items: 10, limit: 1 },
    { items: 3, limit: 8 },
    { items: 20, limit: 7 },
  ])('never has more than $limit in flight over $items items, and uses the limit', async ({ items, limit }) => {
    const gates = range(items).map(() => deferred<number>());
    let inFlight = 0;
    let maxInFlight = 0;
    const started: number[] = [];
    const running = mapConcurrent(range(items), limit, async (item) => {
      started.push(item);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await gates[item]!.promise;
      } finally {
        inFlight -= 1;
      }
    });
    await flush();
    expect(started).toHaveLength(Math.min(limit, items));
    // Release in an order unrelated to start order, checking the bound at every step.
    for (const index of range(items).reverse()) {
      gates[index]!.resolve(index * 2);
      await flush();
      expect(inFlight).toBeLessThanOrEqual(limit);
    }
    await expect(running).resolves.toEqual(range(items).map((index) => index * 2));
    expect(maxInFlight).toBe(Math.min(limit, items));
    expect([...started].sort((a, b) => a - b)).toEqual(range(items));
  });

  it('rejects with the first error, starts nothing after it, and waits for work in flight', async () => {
    const gates = range(10).map(() => deferred<number>());
    const started: number[] = [];
    let settled = 0;
    const running = mapConcurrent(range(10), 3, async (item) => {
      started.push(item);
      try {
        return await gates[item]!.promise;
      } finally {
        settled += 1;
      }
    });
    const outcome = running.then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await flush();
    expect(started).toEqual([0, 1, 2]);

    const first = new Error('first');
    gates[1]!.reject(first);
    await flush();
    gates[2]!.reject(new Error('second'));
    await flush();
    expect(started).toEqual([0, 1, 2]);

    let done = false;
    void outcome.then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false); // item 0 is still in flight
    gates[0]!.resolve(0);
    const result = await outcome;
    expect(result).toEqual({ ok: false, error: first });
    expect(started).toEqual([0, 1, 2]);
    expect(settled).toBe(3);
  });

  it('resolves to an empty array for no items without calling work', async () => {
    let calls = 0;
    await expect(
      mapConcurrent([], 4, async () => {
        calls += 1;
      }),
    ).resolves.toEqual([]);
    expect(calls).toBe(0);
  });

  it.each([0, -1, Number.NaN])('refuses limit %s instead of silently doing nothing', async (limit) => {
    let calls = 0;
    const run = mapConcurrent([1, 2, 3], limit, async (item) => {
      calls += 1;
      return item;
    });
    await expect(run).rejects.toThrow(RangeError);
    expect(calls).toBe(0);
  });
});
