/** The tag update policy: which pushed tags a webhook install rolls out (not a scaling policy, not an IAM policy). */
import picomatch from 'picomatch';
import semver from 'semver';
import { UsageError } from './errors.js';

/** Which pushed tags a webhook install acts on. */
export type UpdatePolicy =
  | { readonly kind: 'any' }
  /** Only semantic versions, and only higher than what the service runs. */
  | { readonly kind: 'semver' }
  /** Only tags matching a glob such as `release-*`. */
  | { readonly kind: 'match'; readonly glob: string };

export function parsePolicy(text: string): UpdatePolicy {
  if (text === 'any') return { kind: 'any' };
  if (text === 'semver') return { kind: 'semver' };
  if (text.startsWith('match:') && text.length > 'match:'.length) return { kind: 'match', glob: text.slice('match:'.length) };
  throw new UsageError(`--policy must be any, semver or match:<glob>, got ${JSON.stringify(text)}`);
}

export function formatPolicy(policy: UpdatePolicy): string {
  return policy.kind === 'match' ? `match:${policy.glob}` : policy.kind;
}

/** The part of a policy that needs only the pushed tag: a reason to ignore it, or undefined. */
export function policyRejectsTag(policy: UpdatePolicy, tag: string): string | undefined {
  if (policy.kind === 'semver' && semver.valid(tag) === null) return `policy semver: ${tag} is not a semantic version`;
  if (policy.kind === 'match' && !picomatch.isMatch(tag, policy.glob, { dot: true })) {
    return `policy ${formatPolicy(policy)}: ${tag} does not match`;
  }
  return undefined;
}

/**
 * The part that compares with what runs: under semver a service only ever moves up. A service on a
 * tag that is not a version (`latest`, `main`) has nothing to compare with, so semver never moves it:
 * the plan skips it with a reason that says how to put it on a version once.
 */
export function policyRejectsUpgrade(policy: UpdatePolicy, runningTag: string | undefined, tag: string): string | undefined {
  const rejected = policyRejectsTag(policy, tag);
  if (rejected !== undefined || policy.kind !== 'semver') return rejected;
  if (runningTag === undefined || semver.valid(runningTag) === null) {
    return `policy semver: the running tag ${runningTag ?? '(none)'} is not a semantic version to compare with, so this push does not move it; put the service on a version once (ecs-roll rollout <repository>:${tag}) and later pushes follow`;
  }
  if (!semver.gt(tag, runningTag)) return `policy semver: ${tag} is not higher than the running ${runningTag}`;
  return undefined;
}
