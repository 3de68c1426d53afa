import type { RolloutResult } from './execute.js';
import { revisionName } from './model.js';
import type { DeploymentPlan } from './plan.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/**
 * The rollout as Markdown for a GitHub Actions job summary (`$GITHUB_STEP_SUMMARY`): one row per
 * service that was planned to move, with its cause when it did not finish, then each cause's hint.
 * https://docs.github.com/en/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary
 */
export function stepSummaryMarkdown(result: RolloutResult): string {
  const rows = result.services.filter((service) => service.action === 'update' || service.action === 'redeploy');
  const lines = [
    `### ecs-roll: ${result.ok ? '✅' : '❌'} rollout of \`${cell(result.target.image)}\``,
    '',
    '| service | from → to | outcome | cause |',
    '|---|---|---|---|',
    ...rows.map(
      (service) =>
        `| ${cell(`${service.cluster}/${service.service}`)} | ${cell(revisionName(service.oldTaskDefinitionArn))} → ${cell(service.newTaskDefinitionArn === undefined ? '-' : revisionName(service.newTaskDefinitionArn))} | ${service.outcome} | ${service.diagnosis === undefined ? '' : cell(service.diagnosis.cause)} |`,
    ),
  ];
  if (rows.length === 0) lines.push('| (no service to move) | | | |');
  const diagnosed = rows.filter((service) => service.diagnosis !== undefined);
  if (diagnosed.length > 0) lines.push('');
  for (const service of diagnosed) {
    const diagnosis = service.diagnosis as NonNullable<typeof service.diagnosis>;
    lines.push(`- **${cell(`${service.cluster}/${service.service}`)}** (${diagnosis.cause}): ${cell(diagnosis.summary)} ${cell(diagnosis.hint)}`);
  }
  return `${lines.join('\n')}\n\n`;
}

/** A dry run in the same shape: each service that would move, and the revision it would move from. */
export function planSummaryMarkdown(plan: DeploymentPlan): string {
  const rows = plan.services.filter((service) => service.action === 'update' || service.action === 'redeploy');
  const lines = [
    `### ecs-roll: plan for \`${cell(plan.target.image)}\` (dry run, nothing was changed)`,
    '',
    '| service | from → to | action |',
    '|---|---|---|',
    ...rows.map((service) => {
      const from = cell(revisionName(service.taskDefinitionArn));
      const to =
        service.action === 'update' ? `a new ${cell(revisionName(service.taskDefinitionArn).replace(/:\d+$/, ''))} revision` : `${from} again`;
      return `| ${cell(`${service.cluster}/${service.service}`)} | ${from} → ${to} | ${service.action} |`;
    }),
  ];
  if (rows.length === 0) lines.push('| (no service to move) | | |');
  return `${lines.join('\n')}\n\n`;
}
