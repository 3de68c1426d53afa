import semver from 'semver';
import type { UpdatePolicy } from '../core/update-policy.js';
import type { RolloutJob } from './receiver.js';

/**
 * Of two waiting jobs for one repository, the one worth running: a rollout moves every service on the
 * repository to the job's tag, so only one of them can be the end state. Under the semver policy the
 * higher version (what the services would end on anyway, since semver never moves down); otherwise the
 * later push, and on the same second the later arrival (`b`), as the planner's tie rule has it.
 */
export function supersedes(a: RolloutJob, b: RolloutJob, policy: UpdatePolicy): RolloutJob {
  if (policy.kind === 'semver') {
    const [va, vb] = [semver.valid(a.tag), semver.valid(b.tag)];
    if (va !== null && vb !== null && !semver.eq(va, vb)) return semver.gt(va, vb) ? a : b;
  }
  return a.pushedAt > b.pushedAt ? a : b;
}
