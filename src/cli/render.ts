import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import type { RolloutEvent } from '../core/events.js';
import type { RolloutResult, ServiceOutcomeKind } from '../core/execute.js';
import { formatVersion } from '../core/image-ref.js';
import { revisionName } from '../core/model.js';
import { describeScope } from '../core/expectation.js';
import { diagnosisLines } from './render-diagnosis.js';
import type { DeploymentPlan } from '../core/plan.js';
import { chooseReporter, type Envelope, writeDocument } from './output.js';
import { planRunLines, runEventLine, runResultLines } from './render-run.js';

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * A terminal that can take a spinner: a TTY that knows its width. A pseudo-terminal without a size
 * (`script`, `docker run -t` from a non-terminal, some CI runners) reports 0 columns, and redrawing
 * a line divided by 0 columns never ends, so it gets plain lines like a pipe.
 */
export function isSizedTerminal(stream: OutputStream): boolean {
  return stream.isTTY === true && typeof stream.columns === 'number' && Number.isFinite(stream.columns) && stream.columns > 0;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface Renderer {
  plan(plan: DeploymentPlan, dryRun: boolean): void;
  /** The plan has its own method: the events that follow it. */
  event(event: Exclude<RolloutEvent, { type: 'plan' }>): void;
  result(result: RolloutResult): void;
  /** Stops any spinner; safe to call twice. */
  close(): void;
}

/** Colour follows the conventions: off when not a terminal, with NO_COLOR, or with --no-color; FORCE_COLOR wins. */
export function colorLevel(io: CliIo, colorFlag: boolean | undefined): 0 | 1 {
  if (colorFlag === false) return 0;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return 1;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return 0;
  if (io.env.TERM === 'dumb') return 0;
  return io.stdout.isTTY === true ? 1 : 0;
}

/** `arn:aws:ecs:…:task-definition/web:3` → `web:3`, which is what people call a revision. */
export function shortArn(arn: string | undefined): string {
  return arn === undefined ? '-' : revisionName(arn);
}

const OUTCOME_LABELS: Record<ServiceOutcomeKind, string> = {
  completed: 'deployed',
  updated: 'updated (not waited for)',
  unchanged: 'unchanged',
  skipped: 'skipped',
  'older-push': 'skipped (a later push is running)',
  'not-started': 'not changed',
  failed: 'FAILED',
  'timed-out': 'TIMED OUT',
  'rolled-back': 'rolled back',
  'rollback-failed': 'ROLLBACK FAILED',
  interrupted: 'interrupted',
  superseded: 'superseded',
};

export function createRenderer(io: CliIo, options: { json: boolean; color: boolean | undefined; spinner?: (text: string) => Ora }): Renderer {
  return chooseReporter(options.json, {
    json: () => jsonRenderer(io),
    human: () => humanRenderer(io, new Chalk({ level: colorLevel(io, options.color) }), options.spinner),
  });
}

function jsonRenderer(io: CliIo): Renderer {
  let plan: DeploymentPlan | undefined;
  const write = (document: Envelope & Record<string, unknown>) => writeDocument(io, document);
  return {
    plan(planned, dryRun) {
      plan = planned;
      if (!dryRun) return;
      write({
        kind: 'rollout-plan',
        version: planned.version,
        dryRun: true,
        ...(planned.scope === undefined ? {} : { scope: planned.scope }),
        target: planned.target,
        services: planned.services.map((service) => ({
          cluster: service.cluster,
          service: service.service,
          oldTaskDefinitionArn: service.taskDefinitionArn,
          newTaskDefinitionArn: null,
          outcome: service.action === 'none' ? 'unchanged' : service.action === 'skip' ? 'skipped' : 'planned',
          action: service.action,
          ...(service.reason === undefined ? {} : { reason: service.reason }),
          changes: service.changes,
        })),
        plan: planned,
      });
    },
    event() {},
    result(result) {
      write({
        ...result,
        ...(plan?.scope === undefined ? {} : { scope: plan.scope }),
        services: result.services.map((service) => ({ ...service, newTaskDefinitionArn: service.newTaskDefinitionArn ?? null })),
        unaffectedServices: plan?.unaffectedServices ?? 0,
      });
    },
    close() {},
  };
}

function humanRenderer(io: CliIo, color: ChalkInstance, makeSpinner: ((text: string) => Ora) | undefined): Renderer {
  let spinner: Ora | undefined;
  const waiting = new Map<string, string>();
  let waitingPhase = '';
  // A scale changes only the desired count: no new revision, no deployment to speak of.
  let countChange = false;
  const line = (text: string) => {
    if (spinner?.isSpinning) spinner.clear();
    io.stdout.write(`${text}\n`);
    if (spinner?.isSpinning) spinner.render();
  };
  const spinnerText = () => `${waitingPhase}: ${[...waiting].map(([service, status]) => `${service} ${status}`).join(color.dim(' · '))}`;
  const stopSpinner = () => {
    if (spinner?.isSpinning) spinner.stop();
    spinner = undefined;
  };

  return {
    plan(plan, dryRun) {
      const version = formatVersion(plan.target);
      if (plan.scope !== undefined) line(color.dim(`Looked at ${describeScope(plan)}`));
      const moving = plan.services.filter((service) => service.action === 'update' || service.action === 'redeploy');
      line(
        `${color.bold(dryRun ? 'Plan' : 'Rollout')} ${color.cyan(plan.target.image)} ${color.dim(`(${plan.target.repository})`)}: ` +
          `${moving.length} service${moving.length === 1 ? '' : 's'} to move, ${plan.registrations.length} new revision${plan.registrations.length === 1 ? '' : 's'}` +
          `, strategy ${plan.strategy}`,
      );
      for (const registration of plan.registrations) {
        line(
          `  ${color.bold('register')} ${shortArn(registration.sourceTaskDefinitionArn)} → ${registration.family}:new${registration.idleFamily ? color.dim(' (no service runs it)') : ''}`,
        );
        for (const change of registration.changes) line(`      ${change.container}: ${change.from} → ${color.green(change.to)}`);
        for (const warning of registration.warnings ?? []) line(`      ${color.yellow('!')} ${warning}`);
      }
      for (const text of planRunLines(plan, color)) line(text);
      for (const service of plan.services) {
        const name = `${service.cluster}/${service.service}`;
        if (service.action === 'update')
          line(
            `  ${color.bold('update')}   ${name}: ${shortArn(service.taskDefinitionArn)} → new ${revisionName(service.taskDefinitionArn).replace(/:\d+$/, '')} revision (${version})`,
          );
        else if (service.action === 'redeploy')
          line(`  ${color.bold('redeploy')} ${name}: ${shortArn(service.taskDefinitionArn)} (${service.reason})`);
        else if (service.action === 'wait') line(`  ${color.bold('wait')}     ${name}: ${service.reason}`);
        else if (service.action === 'skip') line(`  ${color.yellow('skip')}     ${name}: ${service.reason}`);
        else line(`  ${color.dim('keep')}     ${name}: ${service.reason}`);
      }
      for (const service of plan.services) {
        if (service.deploymentStrategy === undefined || (service.action !== 'update' && service.action !== 'redeploy')) continue;
        line(
          `  ${color.dim(`${service.cluster}/${service.service}: ECS ${service.deploymentStrategy} deployment; ECS waits ${service.stagedWaitSeconds ?? 0} s on purpose (bake, traffic steps) and rolls it back itself on failure`)}`,
        );
      }
      if ((plan.stagedWaitSeconds ?? 0) > 0) {
        line(`  ${color.dim(`without --timeout, the timeout grows by that bake time: ${plan.stagedWaitSeconds} s`)}`);
      }
      if (plan.services.length === 0 && plan.registrations.length === 0) {
        line(`  no task definition in use runs ${plan.target.repository} ${color.dim(`(${plan.unaffectedServices} services looked at)`)}`);
      }
      if (dryRun) line(color.dim('Dry run: nothing was changed.'));
    },

    event(event) {
      switch (event.type) {
        case 'registered':
          line(`${color.green('✔')} registered ${shortArn(event.to)} ${color.dim(`from ${shortArn(event.from)}`)}`);
          return;
        case 'service-updated':
          if (event.desiredCount !== undefined) {
            countChange = true;
            line(`${color.green('✔')} scaled ${event.cluster}/${event.service}: desired ${event.desiredCount.from} → ${event.desiredCount.to}`);
            return;
          }
          line(
            `${color.green('✔')} ${event.forced ? 'redeploying' : 'updated'} ${event.cluster}/${event.service}: ${shortArn(event.from)} → ${shortArn(event.to)}` +
              (event.deploymentId === undefined ? '' : color.dim(` (deployment ${event.deploymentId})`)),
          );
          return;
        case 'wait-started':
          stopSpinner();
          waitingPhase = event.phase === 'rollback' ? 'Rolling back' : countChange ? 'Waiting for the tasks' : 'Waiting for deployments';
          line(`${waitingPhase}: ${event.services} service${event.services === 1 ? '' : 's'}, timeout ${event.timeoutSeconds} s`);
          waiting.clear();
          if (makeSpinner !== undefined && isSizedTerminal(io.stdout)) spinner = makeSpinner(waitingPhase).start();
          return;
        case 'progress': {
          const name = `${event.cluster}/${event.service}`;
          const status = `${event.progress.running}/${event.progress.desired}${event.progress.failedTasks > 0 ? color.red(` ${event.progress.failedTasks} failed`) : ''}${event.progress.stage === undefined ? '' : ` ${event.progress.stage}`}`;
          waiting.set(name, status);
          if (spinner !== undefined) spinner.text = spinnerText();
          else
            line(
              `  ${name}: ${event.progress.running}/${event.progress.desired} running${countChange ? '' : ` on the ${event.phase === 'rollback' ? 'previous' : 'new'} revision`}${event.progress.pending > 0 ? `, ${event.progress.pending} pending` : ''}${event.progress.failedTasks > 0 ? `, ${event.progress.failedTasks} failed` : ''}${event.progress.rolloutState === undefined ? '' : ` (${event.progress.rolloutState})`}${event.progress.stage === undefined ? '' : `, stage ${event.progress.stage}`}`,
            );
          return;
        }
        case 'tasks-stopped':
          line(
            `  ${event.cluster}/${event.service}: stopped ${event.taskArns.length} old task${event.taskArns.length === 1 ? '' : 's'}, ${event.remainingOld} to go`,
          );
          return;
        case 'service-completed':
          waiting.delete(`${event.cluster}/${event.service}`);
          if (spinner !== undefined) spinner.text = spinnerText();
          line(`${color.green('✔')} ${event.cluster}/${event.service} ${event.phase === 'rollback' ? 'is back on its previous revision' : 'done'}`);
          return;
        case 'service-failed':
          waiting.delete(`${event.cluster}/${event.service}`);
          line(`${color.red('✖')} ${event.cluster}/${event.service} ${event.phase === 'rollback' ? 'rollback ' : ''}failed: ${event.reason}`);
          return;
        case 'rollback-started':
          stopSpinner();
          line(color.yellow(`Rolling back ${event.services} service${event.services === 1 ? '' : 's'} this run changed`));
          return;
        case 'notice':
          line(`${color.yellow('!')} ${event.cluster === undefined ? '' : `${event.cluster}/${event.service ?? ''}: `}${event.message}`);
          return;
        case 'run-started':
        case 'run-finished': {
          const text = runEventLine(event, color);
          if (text !== undefined) line(text);
          return;
        }
        case 'diagnosis': // shown with the result, under its service
          return;
      }
    },

    result(result) {
      stopSpinner();
      const counts = new Map<string, number>();
      for (const service of result.services) counts.set(service.outcome, (counts.get(service.outcome) ?? 0) + 1);
      const notable = result.services.filter((service) => !['completed', 'updated', 'unchanged', 'skipped'].includes(service.outcome));
      for (const service of notable) {
        line(
          `  ${color.red(OUTCOME_LABELS[service.outcome])} ${service.cluster}/${service.service}${service.reason === undefined ? '' : `: ${service.reason}`}`,
        );
        if (service.diagnosis !== undefined) for (const text of diagnosisLines(service.diagnosis, color)) line(text);
      }
      for (const text of runResultLines(result, color)) line(text);
      const summary = [...counts].map(([outcome, count]) => `${count} ${OUTCOME_LABELS[outcome as ServiceOutcomeKind]}`).join(', ');
      line(result.ok ? color.green(`Done: ${summary || 'nothing to do'}`) : color.red(`Rollout failed: ${summary}`));
    },

    close: stopSpinner,
  };
}
