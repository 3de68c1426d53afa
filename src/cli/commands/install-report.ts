import type { ChalkInstance } from 'chalk';
import type { InstallReport } from '../../app/install.js';
import type { SettingChange } from '../../aws/install-settings.js';
import type { OutputStream } from '../render.js';

/** The human form of `install`'s report: what changed, or with --dry-run what would, and the URL. */

const SETTING_LABELS: Record<SettingChange['setting'], string> = {
  repositories: 'repositories',
  clusters: 'clusters',
  policy: 'policy',
  strategy: 'strategy',
  timeoutSeconds: 'timeout (s)',
  notify: 'notify',
};

const NO_URL = 'No webhook URL: ECR pushes reach the worker through the EventBridge rule and need no public endpoint (--source dockerhub adds one).';

export function renderInstallReport(out: OutputStream, color: ChalkInstance, report: InstallReport): void {
  const line = (text = '') => out.write(`${text}\n`);
  for (const change of report.settingChanges) {
    const name = SETTING_LABELS[change.setting];
    line(`  ${color.bold('~')} ${name}: ${change.from === undefined ? color.dim('(new)') : change.from} → ${color.green(change.to)}`);
  }
  if (report.dryRun) {
    if (report.actions.length === 0) line(`  nothing to change: install ${report.name} is up to date`);
    for (const action of report.actions) line(`  ${color.bold('+')} ${action.description}`);
    for (const move of report.policyMoves) line(`  ${color.bold(move.status === 'would move' ? '+' : '!')} ${move.description}`);
    line();
    line(`${color.bold('IAM policy')} ${report.policy.name} on role ${report.role.name}:`);
    line(JSON.stringify(report.policy.document, null, 2));
    if (report.passRoleArns.length === 0) {
      line(color.yellow('No task definition in use runs these repositories, so the role may pass no task role (no iam:PassRole).'));
    }
    line();
    line(report.sources.includes('dockerhub') ? `Webhook URL would be: ${report.url}` : NO_URL);
    if (report.ecrRule !== undefined) line(`ECR push rule would be: ${report.ecrRule.arn}`);
    line(`Alarm topic would be: ${report.topic.arn}`);
    if (report.settings.notify.length > 0) line(`Outcomes would be sent to: ${report.settings.notify.join(', ')}`);
    line(color.dim('Dry run: nothing was changed.'));
    return;
  }
  if (report.actions.length === 0) line(`Nothing to change: install ${report.name} is up to date.`);
  line();
  line(`${color.bold('Role')}       ${report.role.arn}`);
  line(`${color.bold('Receiver')}   ${report.functions.receiver.arn}`);
  line(`${color.bold('Worker')}     ${report.functions.worker.arn}`);
  if (report.sources.includes('dockerhub')) line(`${color.bold('API')}        ${report.api.id} (stage ${report.stage})`);
  if (report.ecrRule !== undefined) line(`${color.bold('ECR rule')}   ${report.ecrRule.arn} (EventBridge, default bus; targets the worker)`);
  line(`${color.bold('Alarms')}     ${report.topic.arn} (SNS topic; the worker is subscribed)`);
  line(`${color.bold('Log groups')} ${report.logGroups.join(', ')}`);
  // URLs as scheme and host only: the rest of a URL is its secret.
  if (report.settings.notify.length > 0) line(`${color.bold('Notify')}     ${report.settings.notify.join(', ')}`);
  line();
  if (!report.sources.includes('dockerhub')) {
    line(NO_URL);
  } else if (report.tokenIssued) {
    line(`${color.bold('Webhook URL')} (add it to the repositories' webhooks on Docker Hub; it is shown this once and stored nowhere):`);
    line(`  ${color.green(report.url)}`);
  } else {
    line(`${color.bold('Webhook URL')}: ${report.url}`);
    line(
      color.dim(
        '  The token was issued by the first install and only its SHA-256 is stored, so it cannot be shown again; ' +
          'run install with --rotate-token for a new URL (the old one then stops working).',
      ),
    );
  }
  if (report.passRoleArns.length === 0) {
    line(
      color.yellow('No task definition in use runs these repositories yet, so the worker may pass no task role; run install again once they run.'),
    );
  }
}
