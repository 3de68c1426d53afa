import ora from 'ora';
import { ExitCode, UsageError } from '../../core/errors.js';

const SCALE_RESULT_VERSION = 1;
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_SECONDS } from '../../core/limits.js';
import { planScale } from '../../core/plan-scale.js';
import { systemClock } from '../../core/ports.js';
import { applyAdjustment, parseCount, parseRelativeAdjustment, type Adjustment, type ScaleDecision } from '../../core/scale.js';
import { awsConfigFrom, parsePollInterval, parsePositiveSeconds } from '../options.js';
import { createRenderer, type CliIo } from '../render.js';
import type { AwsConfig } from '../../aws/config.js';
import { parseNotifyTargets, type NotifyTarget } from '../../core/notify-target.js';

export interface RawScaleOptions {
  cluster?: string;
  count?: string;
  by?: string;
  min?: string;
  max?: string;
  wait?: boolean;
  timeout?: string;
  pollInterval?: string;
  dryRun?: boolean;
  json?: boolean;
  updateAutoscaling?: boolean;
  notify?: string[];
  color?: boolean;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

export interface ScaleOptions {
  readonly cluster?: string;
  readonly service: string;
  readonly adjustment: Adjustment;
  readonly min?: number;
  readonly max?: number;
  readonly wait: boolean;
  readonly timeoutSeconds: number;
  readonly pollIntervalMs: number;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly updateAutoscaling: boolean;
  /** Where the outcome's document goes (`--notify`, repeatable). */
  readonly notify: readonly NotifyTarget[];
  readonly aws: AwsConfig;
}

/** Checks everything the user typed before any AWS call. */
export function parseScaleOptions(spec: string, raw: RawScaleOptions, env: NodeJS.ProcessEnv): ScaleOptions {
  const parts = spec.split('/');
  if (parts.length > 2 || parts.some((part) => part.trim() === '')) {
    throw new UsageError(`name a service as <service> or <cluster>/<service>, got ${JSON.stringify(spec)}`);
  }
  const [first = '', second] = parts;
  const cluster = second === undefined ? raw.cluster : first;
  if (second !== undefined && raw.cluster !== undefined && raw.cluster !== first) {
    throw new UsageError(`${spec} names cluster ${first} but --cluster says ${raw.cluster}`);
  }
  if ((raw.count === undefined) === (raw.by === undefined)) throw new UsageError('give exactly one of --count <n> or --by <+n|-n|+n%|-n%>');
  const adjustment: Adjustment =
    raw.count !== undefined ? { kind: 'exact', count: parseCount('--count', raw.count) } : parseRelativeAdjustment(raw.by ?? '');
  const min = raw.min === undefined ? undefined : parseCount('--min', raw.min);
  const max = raw.max === undefined ? undefined : parseCount('--max', raw.max);
  if (min !== undefined && max !== undefined && min > max) throw new UsageError(`--min ${min} is above --max ${max}`);
  const aws = awsConfigFrom(raw, env);
  const pollSeconds = parsePollInterval(raw.pollInterval, aws, env);
  const notify = parseNotifyTargets(raw.notify);
  return {
    ...(cluster === undefined ? {} : { cluster }),
    service: second ?? first,
    adjustment,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    wait: raw.wait !== false,
    timeoutSeconds: raw.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parsePositiveSeconds('--timeout', raw.timeout),
    pollIntervalMs: Math.round(pollSeconds * 1000),
    dryRun: raw.dryRun === true,
    json: raw.json === true,
    updateAutoscaling: raw.updateAutoscaling === true,
    notify,
    aws,
  };
}

/** `ecs-roll scale`: a deployment plan with the task definition pinned and only the count changed. */
export async function runScaleCommand(spec: string, raw: RawScaleOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const options = parseScaleOptions(spec, raw, io.env);
  const [{ createEcsClient, SdkEcs }, { AutoScaling, findService }, { executeRollout }] = await Promise.all([
    import('../../aws/ecs.js'),
    import('../../aws/services.js'),
    import('../../core/execute.js'),
  ]);
  const client = createEcsClient(options.aws);
  const autoscaling = new AutoScaling(options.aws);
  const renderer = createRenderer(io, {
    json: false,
    color: raw.color,
    spinner: (text) => ora({ text, stream: io.stdout as NodeJS.WritableStream, discardStdin: false }),
  });
  const say = (text: string) => {
    if (!options.json) io.stdout.write(`${text}\n`);
  };
  try {
    const ecs = new SdkEcs(client);
    const service = await findService(ecs, options.service, options.cluster);
    if (service.schedulingStrategy === 'DAEMON') {
      throw new UsageError(`${service.clusterName}/${service.serviceName} is a DAEMON service: it runs one task per instance and has no desired count to set`);
    }
    const decision: ScaleDecision = applyAdjustment(service.desiredCount, options.adjustment, {
      ...(options.min === undefined ? {} : { min: options.min }),
      ...(options.max === undefined ? {} : { max: options.max }),
    });
    const label = `${service.clusterName}/${service.serviceName}`;
    const target = await autoscaling.scalableTarget(service);
    let autoscalingNote: Record<string, unknown> | undefined;
    if (target !== undefined && (decision.to < target.minCapacity || decision.to > target.maxCapacity)) {
      const bounds = { min: Math.min(target.minCapacity, decision.to), max: Math.max(target.maxCapacity, decision.to) };
      autoscalingNote = { resourceId: target.resourceId, min: target.minCapacity, max: target.maxCapacity, outside: true, updatedTo: options.updateAutoscaling ? bounds : null };
      if (options.updateAutoscaling) {
        say(`Application Auto Scaling bounds for ${label}: ${target.minCapacity}..${target.maxCapacity} → ${bounds.min}..${bounds.max}`);
        if (!options.dryRun) await autoscaling.setBounds(target, bounds.min, bounds.max);
      } else {
        say(
          `! Application Auto Scaling keeps ${label} between ${target.minCapacity} and ${target.maxCapacity} and will undo a count of ${decision.to}; ` +
            'pass --update-autoscaling to move its bounds',
        );
      }
    } else if (target !== undefined) {
      autoscalingNote = { resourceId: target.resourceId, min: target.minCapacity, max: target.maxCapacity, outside: false, updatedTo: null };
    }

    const plan = planScale(service, decision.to);
    const clampNote =
      decision.clamped !== undefined
        ? ` (held at --${decision.clamped})`
        : decision.floored
          ? ` (the change asked for ${decision.wanted}; a service cannot run fewer than 0 tasks)`
          : '';
    say(`Scale ${label}: desired ${decision.from} → ${decision.to}${clampNote}`);
    const report = (outcome: string, extra: Record<string, unknown> = {}) => {
      if (options.json) {
        io.stdout.write(
          `${JSON.stringify({ kind: 'scale-result', version: SCALE_RESULT_VERSION, cluster: service.clusterName, service: service.serviceName, from: decision.from, to: decision.to, clamped: decision.clamped ?? (decision.floored ? 'zero' : null), autoscaling: autoscalingNote ?? null, outcome, ...extra }, null, 2)}\n`,
        );
      }
    };
    if (options.dryRun) {
      say('Dry run: nothing was changed.');
      report('planned');
      return 0;
    }
    const result = await executeRollout(
      plan,
      { ecs, clock: systemClock, emit: options.json ? () => {} : renderer.event },
      {
        wait: options.wait,
        timeoutMs: options.timeoutSeconds * 1000,
        pollIntervalMs: options.pollIntervalMs,
        rollback: false,
        concurrency: DEFAULT_CONCURRENCY,
        signal,
      },
    );
    const outcome = result.services[0];
    if (options.notify.length > 0) {
      const { cliNotifier } = await import('../../notify/cli.js');
      const notifier = cliNotifier(options.notify, io, options.aws);
      notifier.notify({
        operation: 'scale',
        outcome: result.ok ? 'completed' : 'failed',
        source: 'cli',
        services: [{
          cluster: service.clusterName,
          service: service.serviceName,
          desiredCount: { from: decision.from, to: decision.to },
          ...(outcome === undefined ? {} : { outcome: outcome.outcome }),
          ...(outcome?.reason === undefined ? {} : { reason: outcome.reason }),
        }],
      });
      // Bounded (a few seconds at most): a receiver that hangs never holds the command longer.
      await notifier.flush();
    }
    report(outcome?.outcome ?? 'unchanged', outcome?.reason === undefined ? {} : { reason: outcome.reason });
    if (!options.json) renderer.result(result);
    if (signal.aborted) return ExitCode.interrupted;
    return result.ok ? 0 : 1;
  } finally {
    renderer.close();
    client.destroy();
    autoscaling.destroy();
  }
}
