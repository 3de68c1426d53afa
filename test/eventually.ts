// Waiting, in tests, for what the sandbox and the code under test do in their own time: look again and again,
// and when it does not come, fail with what was awaited and what the test can tell about the state then.
// A limit on waiting, never a timed assertion: how fast things happen is measured in `npm run bench`.

export interface Patience {
  /** How long to wait at the most, in milliseconds. */
  readonly ms?: number;
  /** How long between two looks, in milliseconds. */
  readonly every?: number;
  /** What the failure adds about the state then: a log, the decisions so far. */
  readonly explain?: () => Promise<string> | string;
}

async function poll<T>(awaited: string, check: () => Promise<T | undefined> | T | undefined, patience: Patience): Promise<T> {
  const { ms = 60_000, every = 250, explain } = patience;
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting ${awaited}${explain === undefined ? '' : `; ${await explain()}`}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** Looks until `check` answers a value (anything but undefined) and answers it. */
export function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, patience: Patience = {}): Promise<T> {
  return poll(`for ${what}`, check, patience);
}

/** Looks until `check` answers true; `what` says the condition ("the deployment completed"). */
export async function until(what: string, check: () => Promise<boolean> | boolean, patience: Patience = {}): Promise<void> {
  await poll(`until ${what}`, async () => ((await check()) ? true : undefined), patience);
}

export type Eventually = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, patience?: Patience) => Promise<T>;

/** `eventually` with a file's own patience (its limit, its pace, what its failures show), each call free to add to it. */
export function eventuallyWith(defaults: Patience): Eventually {
  return (what, check, patience = {}) => eventually(what, check, { ...defaults, ...patience });
}
