import { ExitCode } from '../../core/errors.js';
import type { EmitEvent, RolloutEvent } from '../../core/events.js';
import type { RolloutResult } from '../../core/execute-shared.js';
import { parseTargetImage } from '../../core/image-ref.js';
import { systemClock } from '../../core/ports.js';
import { keepHeapSmall } from '../heap.js';
import { parseRolloutOptions, type RawRolloutOptions, type RolloutOptions } from '../options.js';
import { createRenderer, type CliIo } from '../render.js';
import { spinnerFactory } from '../spinner.js';
import { appendStepSummary } from '../step-summary.js';

/**
 * `ecs-roll rollout`: discover, plan, then carry the plan out (or only show it). Returns the exit code.
 * `observe` sees every event as well as the renderer: the GitHub Action renders progress lines while
 * the command writes its JSON document.
 */
export async function runRolloutCommand(image: string, raw: RawRolloutOptions, io: CliIo, signal: AbortSignal, observe?: EmitEvent): Promise<number> {
  const options = parseRolloutOptions(image, raw, io.env);
  // The reference is checked before anything talks to AWS, so a typo costs no call and changes nothing.
  const target = parseTargetImage(options.image);

  keepHeapSmall();
  const [{ runRollout }, { sdkRolloutPorts }] = await Promise.all([import('../../app/rollout.js'), import('../../app/rollout-aws.js')]);
  // Loaded only when --notify is given; dry runs change nothing and notify no one.
  const notifier = options.notify.length === 0 || options.dryRun ? undefined : await rolloutNotifier(options, io);
  const renderer = createRenderer(io, {
    json: options.json,
    color: raw.color,
    spinner: spinnerFactory(io),
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
          notifier?.event(event);
          if (event.type === 'plan') renderer.plan(event.plan, options.dryRun);
          else renderer.event(event);
        },
      },
    );
    if (result === undefined) return 0;
    notifier?.finished(result);
    renderer.result(result);
    const summaryFile = io.env.GITHUB_STEP_SUMMARY;
    if (summaryFile !== undefined && summaryFile !== '') await appendStepSummary(summaryFile, result, io);
    if (signal.aborted) return ExitCode.interrupted;
    return result.ok ? 0 : 1;
  } catch (error) {
    notifier?.failed(signal.aborted ? 'interrupted before the rollout was carried out' : error instanceof Error ? error.message : String(error));
    // Ctrl-C or SIGTERM aborted a call in flight (during discovery, say): an interruption, not a failure.
    if (signal.aborted) {
      io.stderr.write('ecs-roll: interrupted before the rollout was carried out\n');
      return ExitCode.interrupted;
    }
    throw error;
  } finally {
    renderer.close();
    // Bounded: a receiver that hangs costs at most a few seconds here, never the outcome.
    await notifier?.flush();
  }
}

async function rolloutNotifier(options: RolloutOptions, io: CliIo) {
  const [{ cliNotifier }, { startedNotice, finishedNotices, errorNotice }] = await Promise.all([
    import('../../notify/cli.js'),
    import('../../core/rollout-notices.js'),
  ]);
  const notifier = cliNotifier(options.notify, io, options.aws);
  let pushedAt: number | undefined;
  const context = () => ({ source: 'cli' as const, image: options.image, ...(pushedAt === undefined ? {} : { pushedAt }) });
  return {
    event(event: RolloutEvent) {
      if (event.type !== 'plan') return;
      pushedAt = event.plan.pushedAt;
      const started = startedNotice(event.plan, 'cli');
      if (started !== undefined) notifier.notify(started);
    },
    finished(result: RolloutResult) {
      for (const notice of finishedNotices(result, context())) notifier.notify(notice);
    },
    failed(message: string) {
      notifier.notify(errorNotice(message, context()));
    },
    flush: () => notifier.flush(),
  };
}
