import type { ImageReference } from '../core/image-ref.js';
import { DEFAULT_CONCURRENCY } from '../core/limits.js';
import type { Clock, EcsReader } from '../core/ports.js';
import { buildStatus, type StatusDocument } from '../core/status.js';
import { discoverRolloutState } from '../aws/ecs-discovery.js';

export interface StatusRequest {
  readonly image: ImageReference;
  /** Cluster names or ARNs; every cluster in the region when empty. */
  readonly clusters: readonly string[];
  /** Refresh every pollIntervalMs until the signal aborts. */
  readonly watch: boolean;
  readonly pollIntervalMs: number;
  readonly signal?: AbortSignal;
}

export interface StatusPorts {
  readonly clock: Clock;
  /** A fresh reader per look: what it read before (task definitions, newest revisions) is not reused. */
  readonly ecs: () => EcsReader;
  /** Each look's document, numbered from 0. */
  readonly show: (document: StatusDocument, refresh: number) => void;
}

/**
 * Reads the selected clusters the way a rollout does (pages of 100, ten services per DescribeServices,
 * each distinct task definition once) and says where each version of the image runs.
 */
export async function readStatus(request: Pick<StatusRequest, 'image' | 'clusters'>, ecs: EcsReader): Promise<StatusDocument> {
  const state = await discoverRolloutState(ecs, { clusters: request.clusters, services: [], allFamilies: false, concurrency: DEFAULT_CONCURRENCY });
  return buildStatus(state, request.image);
}

/** `status`: one look, or with watch one every poll interval until interrupted. Returns the exit code. */
export async function runStatus(request: StatusRequest, ports: StatusPorts): Promise<number> {
  for (let refresh = 0; ; refresh += 1) {
    ports.show(await readStatus(request, ports.ecs()), refresh);
    if (!request.watch) return 0;
    await ports.clock.sleep(request.pollIntervalMs, request.signal);
    if (request.signal?.aborted === true) return 130;
  }
}
