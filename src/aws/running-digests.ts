import type { ImageReference } from '../core/image-ref.js';
import { tryParseImageReference } from '../core/image-ref.js';
import type { EcsPort } from '../core/ports.js';
import type { PlannedService } from '../core/plan.js';

/**
 * The digests the running tasks of each service report for the target's repository (DescribeTasks
 * `containers[].imageDigest`): what a service already on a mutable tag really runs.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html
 */
export async function readRunningDigests(
  ecs: Pick<EcsPort, 'listServiceTasks'>,
  services: readonly PlannedService[],
  target: ImageReference,
): Promise<Record<string, string[]>> {
  const digests: Record<string, string[]> = {};
  for (const service of services) {
    const tasks = await ecs.listServiceTasks(service.cluster, service.service);
    const found = new Set<string>();
    for (const task of tasks) {
      if (task.lastStatus !== 'RUNNING') continue;
      for (const container of task.containers ?? []) {
        if (container.imageDigest === undefined || container.imageDigest === '') continue;
        if (tryParseImageReference(container.image)?.repository !== target.repository) continue;
        found.add(container.imageDigest);
      }
    }
    digests[service.serviceArn] = [...found].sort();
  }
  return digests;
}
