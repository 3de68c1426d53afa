import ora from 'ora';
import { executeRollout } from '../../core/execute.js';
import { parseTargetImage } from '../../core/image-ref.js';
import { DEFAULT_CONCURRENCY } from '../../core/limits.js';
import { planRollout } from '../../core/plan.js';
import { systemClock } from '../../core/ports.js';
import { parseRolloutOptions, type RawRolloutOptions } from '../options.js';
import { createRenderer, type CliIo } from '../render.js';

/** `ecs-roll rollout`: discover, plan, then carry the plan out (or only show it). Returns the exit code. */
export async function runRollout(image: string, raw: RawRolloutOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const options = parseRolloutOptions(image, raw, io.env);
  // The reference is checked before anything talks to AWS, so a typo costs no call and changes nothing.
  const target = parseTargetImage(options.image);

  const { createEcsClient, discoverRolloutState, SdkEcs } = await import('../../aws/ecs.js');
  const client = createEcsClient(options.aws);
  const renderer = createRenderer(io, {
    json: options.json,
    color: raw.color,
    spinner: (text) => ora({ text, stream: io.stdout as NodeJS.WritableStream, discardStdin: false }),
  });
  try {
    const ecs = new SdkEcs(client);
    const state = await discoverRolloutState(ecs, {
      clusters: options.clusters,
      services: options.services,
      allFamilies: options.allFamilies,
      concurrency: DEFAULT_CONCURRENCY,
    });
    const plan = planRollout(state, { target, strategy: options.strategy, force: options.force });
    renderer.plan(plan, options.dryRun);
    if (options.dryRun) return 0;

    const result = await executeRollout(
      plan,
      { ecs, clock: systemClock, emit: renderer.event },
      {
        wait: options.wait,
        timeoutMs: options.timeoutSeconds * 1000,
        pollIntervalMs: options.pollIntervalMs,
        rollback: options.rollback,
        concurrency: DEFAULT_CONCURRENCY,
        signal,
      },
    );
    renderer.result(result);
    if (signal.aborted) return 130;
    return result.ok ? 0 : 1;
  } finally {
    renderer.close();
    client.destroy();
  }
}
