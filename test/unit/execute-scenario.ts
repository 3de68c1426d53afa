// What the executeRollout tests share: services scripted on FakeEcs (test/fakes.ts, ECS at the EcsPort seam),
// a plan that moves them from nginx:1 to nginx:2, and ways to read the outcome back.
import type { RolloutEvent } from '../../src/core/events.js';
import { type ExecuteOptions, executeRollout, type RolloutResult } from '../../src/core/execute.js';
import type { DeploymentStrategy, TaskDefinitionSnapshot } from '../../src/core/model.js';
import { planRollout, type Strategy } from '../../src/core/plan.js';
import type { UpdateServiceRequest } from '../../src/core/ports.js';
import { FakeClock, FakeEcs, type Script } from '../fakes.js';
import { aContainer, anObservedState, aRequest, aService, aTaskDefinition } from './builders.js';

export interface ServiceSpec {
  readonly name: string;
  readonly cluster?: string;
  readonly family?: string;
  readonly image?: string;
  readonly desired?: number;
  readonly minimumHealthyPercent?: number;
  readonly scripts?: Script[];
  readonly pollsToSettle?: number;
  readonly runTasks?: boolean;
  readonly strategy?: DeploymentStrategy;
}

const DEFAULTS: ExecuteOptions = { wait: true, timeoutMs: 900_000, pollIntervalMs: 10_000, rollback: true, concurrency: 4 };

/** Services on nginx:1 (each on revision 1 of its family), a plan to move them to nginx:2, and the fakes to run it on. */
export function scenario(specs: readonly ServiceSpec[], request: { strategy?: Strategy; force?: boolean } = {}) {
  const clock = new FakeClock({ start: 1_000_000 });
  const ecs = new FakeEcs(clock);
  const definitions = new Map<string, TaskDefinitionSnapshot>();
  const snapshots = specs.map((spec) => {
    const definition = aTaskDefinition({
      family: spec.family ?? spec.name,
      revision: 1,
      containers: [aContainer({ name: 'app', image: spec.image ?? 'nginx:1' })],
    });
    definitions.set(definition.arn, definition);
    const snapshot = aService({
      clusterName: spec.cluster ?? 'prod',
      serviceName: spec.name,
      taskDefinitionArn: definition.arn,
      desiredCount: spec.desired ?? 2,
      minimumHealthyPercent: spec.minimumHealthyPercent ?? 100,
      ...(spec.strategy === undefined ? {} : { deploymentStrategy: spec.strategy, stagedWaits: { bakeTimeInMinutes: 5 } }),
    });
    ecs.add(snapshot, {
      ...(spec.scripts === undefined ? {} : { scripts: spec.scripts }),
      ...(spec.pollsToSettle === undefined ? {} : { pollsToSettle: spec.pollsToSettle }),
      ...(spec.runTasks === undefined ? {} : { runTasks: spec.runTasks }),
    });
    return snapshot;
  });
  const plan = planRollout(anObservedState(snapshots, [...definitions.values()]), aRequest('nginx:2', request));
  const events: RolloutEvent[] = [];
  const run = (options: Partial<ExecuteOptions> = {}) =>
    executeRollout(plan, { ecs, clock, emit: (event) => events.push(event) }, { ...DEFAULTS, ...options });
  return { ecs, clock, events, plan, run };
}

export function outcomeOf(result: RolloutResult, service: string) {
  const found = result.services.find((outcome) => outcome.service === service);
  if (found === undefined) throw new Error(`no outcome for ${service}`);
  return found;
}

export const updateRequests = (ecs: FakeEcs) => ecs.callsTo('updateService').map((call) => call.args[0] as UpdateServiceRequest);
