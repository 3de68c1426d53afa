import { TransientAwsError } from './errors.js';
import type { TaskDefinitionSnapshot } from './model.js';
import type { PlannedRegistration } from './plan.js';
import { registrationInput, sameRegistration } from './task-definition.js';
import { revisionNumber, type ExecutorDeps } from './execute-shared.js';

export class RegistrationInterrupted extends Error {}

/** Attempts of one registration when AWS throttles, drops the connection or another run registers the family. */
const REGISTER_ATTEMPTS = 8;
const REGISTER_BACKOFF_MS = 500;
/** How far above the source revision to look for a copy an earlier run left behind. */
const RECENT_REVISIONS_TO_SCAN = 10;

/** Does every container the registration changes already run its new image in `candidate`? */
function runsTargetImages(candidate: TaskDefinitionSnapshot, registration: PlannedRegistration): boolean {
  const containers = candidate.definition.containerDefinitions;
  if (!Array.isArray(containers)) return false;
  const images = new Map((containers as { name?: unknown; image?: unknown }[]).map((container) => [container.name, container.image]));
  return registration.changes.every((change) => images.get(change.container) === change.to);
}

/**
 * Registers the plan's revision at most once. A run killed after registering, or a registration whose
 * answer was lost, left an identical revision above the source: that one is reused, so running the
 * same rollout again never makes a duplicate. In the usual case the family's newest revision is the
 * source itself, and discovery, which described the family by name, settled that without another call.
 */
export async function registerIdempotently(
  registration: PlannedRegistration,
  { ecs, clock, random = Math.random }: ExecutorDeps,
  signal: AbortSignal | undefined,
): Promise<{ taskDefinitionArn: string; reused: boolean }> {
  const isCopy = (candidate: TaskDefinitionSnapshot): boolean =>
    // Only an ACTIVE revision can be reused: INACTIVE and DELETE_IN_PROGRESS ones are on their way out.
    (candidate.status === undefined || candidate.status === 'ACTIVE') &&
    sameRegistration(registrationInput(candidate.definition, candidate.tags, new Map()), registration.input);
  /** `known`: the family's newest revision when already known (null: none); else it is asked for. */
  const existingCopy = async (known?: TaskDefinitionSnapshot | null): Promise<string | undefined> => {
    const newest = known === undefined ? await ecs.latestTaskDefinition(registration.family) : (known ?? undefined);
    if (newest === undefined) return undefined;
    if (isCopy(newest)) return newest.arn;
    // Two revisions of one family rolled out together leave two copies; the older one is not the newest.
    // The newest then runs the target's images as well: when it does not, no run of this rollout made it,
    // and nothing below it needs describing.
    if (!runsTargetImages(newest, registration)) return undefined;
    const source = revisionNumber(registration.sourceTaskDefinitionArn);
    const lowest = Math.max(source + 1, newest.revision - RECENT_REVISIONS_TO_SCAN);
    for (let revision = newest.revision - 1; revision >= lowest; revision -= 1) {
      const candidate = await ecs.describeTaskDefinition(`${registration.family}:${revision}`).catch(() => undefined);
      if (candidate !== undefined && isCopy(candidate)) return candidate.arn;
    }
    return undefined;
  };

  // Discovery described the family by name just before: its answer settles the usual case without a call.
  const existing = await existingCopy(ecs.newestRevisionSeen?.(registration.family));
  if (existing !== undefined) return { taskDefinitionArn: existing, reused: true };
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { taskDefinitionArn } = await ecs.registerTaskDefinition(registration.input);
      return { taskDefinitionArn, reused: false };
    } catch (error) {
      if (!(error instanceof TransientAwsError) || attempt >= REGISTER_ATTEMPTS) throw error;
      // Jitter: two runs refused by the same conflict must not come back at the same instant again.
      await clock.sleep(jittered(REGISTER_BACKOFF_MS * 2 ** (attempt - 1), random), signal);
      if (signal?.aborted) throw new RegistrationInterrupted();
      // The failed attempt may have registered all the same (only its answer was lost), or the run it
      // conflicted with registered the identical revision: either way that one is reused.
      const registered = await existingCopy();
      if (registered !== undefined) return { taskDefinitionArn: registered, reused: true };
    }
  }
}
/** Between half and all of the backoff, so that callers refused together spread out. */
function jittered(backoffMs: number, random: () => number): number {
  return Math.round(backoffMs * (0.5 + random() / 2));
}
