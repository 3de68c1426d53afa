import ora from 'ora';
import { ExitCode } from '../../core/errors.js';
import type { EmitEvent } from '../../core/events.js';
import { parseTargetImage } from '../../core/image-ref.js';
import { systemClock } from '../../core/ports.js';
import { keepHeapSmall } from '../heap.js';
import { parseRolloutOptions, type RawRolloutOptions } from '../options.js';
import { createRenderer, type CliIo } from '../render.js';
import { appendStepSummary } from '../step-summary.js';

/**
 * `ecs-roll rollout`: discover, plan, then carry the plan out (or only show it). Returns the exit code.
 * `observe` sees every event as well as the renderer: the GitHub Action renders progress lines while
 * the command writes its JSON document.
 */
export async function runRolloutCommand(
  image: string,
  raw: RawRolloutOptions,
  io: CliIo,
  signal: AbortSignal,
  observe?: EmitEvent,
): Promise<number> {
  const options = parseRolloutOptions(image, raw, io.env);
  // The reference is checked before anything talks to AWS, so a typo costs no call and changes nothing.
  const target = parseTargetImage(options.image);

  keepHeapSmall();
  const [{ runRollout }, { sdkRolloutPorts }] = await Promise.all([import('../../app/rollout.js'), import('../../app/rollout-aws.js')]);
  const renderer = createRenderer(io, {
    json: options.json,
    color: raw.color,
    spinner: (text) => ora({ text, stream: io.stdout as NodeJS.WritableStream, discardStdin: false }),
  });
  try {
    const { result } = await runRollout(
      {
        target,
        clusters: options.clusters,
        services: options.services,
        allFamilies: options.allFamilies,
        strategy: options.strategy,
        force: options.force,
        registry: options.registry,
        ...(options.expectServices === undefined ? {} : { expectServices: options.expectServices }),
        // Recorded on the new revisions: of two rollouts racing over the same services, the later one wins.
        pushedAt: (performance.timeOrigin + performance.now()) / 1000,
        dryRun: options.dryRun,
        wait: options.wait,
        timeoutMs: options.timeoutSeconds * 1000,
        extendTimeoutByStagedWaits: options.timeoutIsDefault,
        pollIntervalMs: options.pollIntervalMs,
        rollback: options.rollback,
        runBefore: options.runBefore,
        runTimeoutMs: options.runTimeoutSeconds * 1000,
        signal,
      },
      {
        ...sdkRolloutPorts(options.aws),
        clock: systemClock,
        emit: (event) => {
          observe?.(event);
          if (event.type === 'plan') renderer.plan(event.plan, options.dryRun);
          else renderer.event(event);
        },
      },
    );
    if (result === undefined) return 0;
    renderer.result(result);
    const summaryFile = io.env.GITHUB_STEP_SUMMARY;
    if (summaryFile !== undefined && summaryFile !== '') await appendStepSummary(summaryFile, result, io);
    if (signal.aborted) return ExitCode.interrupted;
    return result.ok ? 0 : 1;
  } catch (error) {
    // Ctrl-C or SIGTERM aborted a call in flight (during discovery, say): an interruption, not a failure.
    if (signal.aborted) {
      io.stderr.write('ecs-roll: interrupted before the rollout was carried out\n');
      return ExitCode.interrupted;
    }
    throw error;
  } finally {
    renderer.close();
  }
}
