/**
 * Mutable tags done by digest: a service already on the target's tag moves only when the registry's
 * digest for the tag differs from what its running tasks run. ECS resolves a tag to a digest when a
 * deployment starts and reports it per container as `imageDigest` (DescribeTasks):
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html#deployment-container-image-stability
 */
import type { PlannedService, DeploymentPlan } from './plan.js';

export type SameTagDecision = { readonly action: 'redeploy'; readonly reason: string } | { readonly action: 'none'; readonly reason: string };

export interface SameTagInput {
  /** The version label, e.g. `latest`. */
  readonly version: string;
  /** What the registry answered for the tag; undefined when it was not asked (`--no-verify`). */
  readonly registryDigest?: string;
  /** The digests the service's running tasks report for the target's containers; undefined when not read. */
  readonly runningDigests?: readonly string[];
  /** `--force`: redeploy whatever the digests say (for when the registry cannot be asked). */
  readonly force: boolean;
}

function short(digest: string): string {
  return digest.startsWith('sha256:') ? `sha256:${digest.slice(7, 19)}` : digest;
}

export function decideSameTag(input: SameTagInput): SameTagDecision {
  if (input.force) return { action: 'redeploy', reason: `already on ${input.version}; --force starts a new deployment` };
  if (input.registryDigest === undefined) return { action: 'none', reason: `already on ${input.version}` };
  const running = [...new Set(input.runningDigests ?? [])];
  if (running.length === 0) {
    return { action: 'none', reason: `already on ${input.version}; no running task reports a digest (--force redeploys)` };
  }
  const stale = running.filter((digest) => digest !== input.registryDigest);
  if (stale.length === 0) return { action: 'none', reason: `already on ${input.version} (${short(input.registryDigest)})` };
  return {
    action: 'redeploy',
    reason: `${input.version} now points at ${short(input.registryDigest)}; tasks run ${stale.map(short).join(', ')}`,
  };
}

/** Services left alone because they already run the target's tag: the ones whose running digests matter. */
export function servicesOnTargetTag(plan: DeploymentPlan): PlannedService[] {
  return plan.services.filter((service) => service.action === 'none' && service.changes.every((change) => change.from === change.to));
}
