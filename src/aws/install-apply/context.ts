/**
 * What every service handler of install's applier works with: the clients, the package, the
 * clock and signal of the run, where it reports, and the ids learned on the way.
 */
import type { RetryClock } from '../../core/install-retry.js';
import type { InstallAction } from '../../core/install-types.js';
import type { InstallClients } from '../install-clients.js';

/** What the command tells the user while the install runs; nothing here writes anywhere itself. */
export interface InstallProgress {
  done(description: string): void;
  warn(message: string): void;
  /** A wait that may last (IAM propagation, a function becoming Active); `stop` ends it. */
  waiting(text: string): { update(text: string): void; stop(): void };
}

export interface ApplyContext {
  readonly clients: InstallClients;
  /** The install's name, for descriptions AWS shows next to what was created. */
  readonly install: string;
  /** The deployment package both functions run. */
  readonly zip: Uint8Array;
  readonly clock: RetryClock;
  readonly signal: AbortSignal;
  readonly progress: InstallProgress;
  /** Warnings for the report; each is also given to `progress.warn`. */
  readonly warnings: string[];
}

/** What an action made known that later actions (and the report) need. */
export interface Learned {
  readonly account?: string;
  readonly apiId?: string;
}

export type ActionOf<K extends InstallAction['kind']> = Extract<InstallAction, { kind: K }>;

/** A service's handler: the kinds it carries out, and how. */
export interface ServiceHandler<K extends InstallAction['kind']> {
  readonly kinds: readonly K[];
  apply(action: ActionOf<K>): Promise<Learned>;
}
