import { createHash } from 'node:crypto';
import semver from 'semver';
import type { Tag, TaskDefinitionSnapshot } from './model.js';
import { PUSHED_AT_TAG } from './task-definition.js';

/**
 * Push ordering, per container and repository. Each revision ecs-roll registers carries, for every
 * container whose image it set, the tag `ecs-roll:pushed-at:<container>` = `<epoch seconds> <repository>`:
 * when that image was pushed (a webhook) or when the rollout started (the CLI). A push is compared only
 * with the time recorded for the same container and the same repository, so an app and its sidecar in
 * one task definition never block each other. Revisions from older versions carry one
 * `ecs-roll:pushed-at` for the whole revision; it is still read, for revisions that have no
 * per-container tag at all.
 */
export const CONTAINER_PUSHED_AT_PREFIX = `${PUSHED_AT_TAG}:`;

/** How far ahead of the receiver's clock a push time may be (clocks drift); later ones are refused. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** AWS tag limits: keys up to 128 characters, values up to 256. */
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;

const shortHash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 24);

/** The tag key for one container; a container name too long for a tag key is hashed (`=` never occurs in a name). */
export function containerPushTagKey(container: string): string {
  const key = `${CONTAINER_PUSHED_AT_PREFIX}${container}`;
  return key.length <= TAG_KEY_MAX ? key : `${CONTAINER_PUSHED_AT_PREFIX}sha256=${shortHash(container)}`;
}

function repositoryLabel(repository: string): string {
  // A tag value holds 256 characters; a longer repository name is recorded by its hash.
  return repository.length <= TAG_VALUE_MAX - 20 ? repository : `sha256=${shortHash(repository)}`;
}

export function containerPushTag(container: string, repository: string, pushedAt: number): Tag {
  return { key: containerPushTagKey(container), value: `${pushedAt} ${repositoryLabel(repository)}` };
}

export type RecordedPush = { readonly source: 'container' | 'revision'; readonly seconds: number } | undefined;

/**
 * The push time recorded for this container and repository: its own tag when the revision has
 * per-container tags, else the whole revision's older tag. Undefined when nothing applies.
 */
export function recordedContainerPush(definition: TaskDefinitionSnapshot, container: string, repository: string): RecordedPush {
  const perContainer = definition.tags.filter((tag) => tag.key.startsWith(CONTAINER_PUSHED_AT_PREFIX));
  if (perContainer.length > 0) {
    const value = perContainer.find((tag) => tag.key === containerPushTagKey(container))?.value;
    if (value === undefined) return undefined;
    const [secondsText, label] = value.split(' ');
    const seconds = Number(secondsText);
    // The container may have run another repository when the time was recorded: that time says nothing here.
    if (label !== repositoryLabel(repository) || !Number.isFinite(seconds)) return undefined;
    return { source: 'container', seconds };
  }
  const legacy = definition.tags.find((tag) => tag.key === PUSHED_AT_TAG)?.value;
  const seconds = legacy === undefined ? Number.NaN : Number(legacy);
  return Number.isFinite(seconds) ? { source: 'revision', seconds } : undefined;
}

export interface PushComparison {
  /** The push being applied, epoch seconds. */
  readonly pushedAt: number;
  readonly tag: string | undefined;
  /** What the container runs now. */
  readonly runningTag: string | undefined;
  readonly recorded: number | undefined;
  /** The planner's clock, epoch seconds: recorded times further ahead than the allowed skew are not trusted. */
  readonly now: number;
}

export type PushVerdict = { readonly apply: true; readonly note?: string } | { readonly apply: false; readonly reason: string };

/**
 * Is this push newer than the one recorded? Docker Hub gives whole seconds, so two pushes can carry
 * the same time. The tie rule: when both tags are semantic versions the higher one wins; otherwise
 * the push that arrives later wins (deliveries arrive in push order far more often than not).
 * A recorded time further in the future than the clock skew allows cannot be trusted (a fast clock
 * or a forged push once got it there) and would freeze the service for good, so it is ignored.
 */
export function comparePush(input: PushComparison): PushVerdict {
  const { pushedAt, recorded, tag, runningTag, now } = input;
  if (recorded === undefined) return { apply: true };
  if (recorded > now + MAX_CLOCK_SKEW_SECONDS) {
    return {
      apply: true,
      note: `ignored the recorded push time ${recorded}: it is ahead of this clock (${Math.floor(now)}) by more than ${MAX_CLOCK_SKEW_SECONDS} s`,
    };
  }
  if (pushedAt > recorded) return { apply: true };
  if (pushedAt < recorded) return { apply: false, reason: `push of ${pushedAt} is older than the push (${recorded}) that set the running image` };
  const pushed = tag === undefined ? null : semver.valid(tag);
  const running = runningTag === undefined ? null : semver.valid(runningTag);
  if (pushed !== null && running !== null) {
    return semver.gt(pushed, running)
      ? { apply: true, note: `same push second as ${runningTag}; ${tag} is the higher version` }
      : { apply: false, reason: `push of ${pushedAt} has the same time as the push of ${runningTag}, a version not lower than ${tag}` };
  }
  return { apply: true, note: `same push second as ${runningTag ?? 'the running image'}; the later-arriving push wins` };
}
