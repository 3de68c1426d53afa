import type { ScaleDocument, ScaleReporter } from '../../app/scale.js';
import type { OutcomeNotice } from '../../core/notification.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { DEFAULT_TIMEOUT_SECONDS } from '../../core/limits.js';
import { systemClock } from '../../core/ports.js';
import { parseCount, parseRelativeAdjustment, type Adjustment } from '../../core/scale.js';
import { awsConfigFrom, parseOptionalSeconds, parsePollInterval } from '../parsers.js';
import type { RawScaleOptions } from '../raw-options.js';
import { chooseReporter, writeDocument } from '../output.js';
import { createRenderer, type CliIo } from '../render.js';
import { spinnerFactory } from '../spinner.js';
import type { AwsConfig } from '../../aws/config.js';
import { parseNotifyTargets, type NotifyTarget } from '../../core/notify-target.js';

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
  const pollIntervalMs = parsePollInterval(raw.pollInterval, aws, env);
  const notify = parseNotifyTargets(raw.notify);
  return {
    ...(cluster === undefined ? {} : { cluster }),
    service: second ?? first,
    adjustment,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    wait: raw.wait !== false,
    timeoutSeconds: parseOptionalSeconds('--timeout', raw.timeout, DEFAULT_TIMEOUT_SECONDS),
    pollIntervalMs,
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
  const [{ createEcsClient, SdkEcs }, { AutoScaling }, { runScale }] = await Promise.all([
    import('../../aws/ecs.js'),
    import('../../aws/auto-scaling.js'),
    import('../../app/scale.js'),
  ]);
  const client = createEcsClient(options.aws);
  const autoscaling = new AutoScaling(options.aws);
  const renderer = createRenderer(io, {
    json: false,
    color: raw.color,
    spinner: spinnerFactory(io),
  });
  const notifier =
    options.notify.length === 0 || options.dryRun ? undefined : (await import('../../notify/cli.js')).cliNotifier(options.notify, io, options.aws);
  const report = chooseReporter(options.json, { human: () => humanScaleReporter(io, renderer), json: () => jsonScaleReporter(io) });
  try {
    const result = await runScale(
      {
        service: options.service,
        ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
        adjustment: options.adjustment,
        ...(options.min === undefined ? {} : { min: options.min }),
        ...(options.max === undefined ? {} : { max: options.max }),
        updateAutoscaling: options.updateAutoscaling,
        dryRun: options.dryRun,
        wait: options.wait,
        timeoutMs: options.timeoutSeconds * 1000,
        pollIntervalMs: options.pollIntervalMs,
        signal,
      },
      {
        ecs: new SdkEcs(client),
        autoscaling,
        clock: systemClock,
        report: {
          ...report,
          finished(document, result) {
            report.finished(document, result);
            if (result !== undefined) notifier?.notify(scaleNotice(document, result.ok));
          },
        },
      },
    );
    if (result === undefined) return 0;
    if (signal.aborted) return ExitCode.interrupted;
    return result.ok ? 0 : 1;
  } finally {
    renderer.close();
    client.destroy();
    autoscaling.destroy();
    // Bounded (a few seconds at most): a receiver that hangs never holds the command longer.
    await notifier?.flush();
  }
}

function scaleNotice(document: ScaleDocument, ok: boolean): OutcomeNotice {
  return {
    operation: 'scale',
    outcome: ok ? 'completed' : 'failed',
    source: 'cli',
    services: [
      {
        cluster: document.cluster,
        service: document.service,
        outcome: document.outcome,
        desiredCount: { from: document.from, to: document.to },
        ...(document.reason === undefined ? {} : { reason: document.reason }),
      },
    ],
  };
}

/** Lines as the scale goes, and the executor's progress. */
function humanScaleReporter(io: CliIo, renderer: ReturnType<typeof createRenderer>): ScaleReporter {
  const say = (text: string) => io.stdout.write(`${text}\n`);
  return {
    autoscaling(label, note, to) {
      if (note.updatedTo !== null) {
        say(`Application Auto Scaling bounds for ${label}: ${note.min}..${note.max} → ${note.updatedTo.min}..${note.updatedTo.max}`);
      } else {
        say(
          `! Application Auto Scaling keeps ${label} between ${note.min} and ${note.max} and will undo a count of ${to}; pass --update-autoscaling to move its bounds`,
        );
      }
    },
    decision(label, decision) {
      const clampNote =
        decision.clamped !== undefined
          ? ` (held at --${decision.clamped})`
          : decision.floored
            ? ` (the change asked for ${decision.wanted}; a service cannot run fewer than 0 tasks)`
            : '';
      say(`Scale ${label}: desired ${decision.from} → ${decision.to}${clampNote}`);
    },
    // The executor emits no plan: scale shows its decision instead.
    event: (event) => {
      if (event.type !== 'plan') renderer.event(event);
    },
    finished(_document, result) {
      if (result === undefined) say('Dry run: nothing was changed.');
      else renderer.result(result);
    },
  };
}

/** Nothing until the end, then the scale-result document. */
function jsonScaleReporter(io: CliIo): ScaleReporter {
  return {
    autoscaling() {},
    decision() {},
    event() {},
    finished: (document) => writeDocument(io, document),
  };
}
