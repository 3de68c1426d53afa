import type { NotifyTarget } from '../core/notify-target.js';
import type { AwsConfig } from '../aws/config.js';
import { createNotifier, NO_NOTIFIER, type Notifier } from './notifier.js';

/**
 * The CLI's notifier: a document that could not be delivered is one line on stderr (stdout may carry
 * `--json`), naming the target only as describeTarget shows it; deliveries that worked say nothing.
 */
export function cliNotifier(targets: readonly NotifyTarget[], io: { readonly stderr: { write(text: string): unknown } }, aws: AwsConfig): Notifier {
  if (targets.length === 0) return NO_NOTIFIER;
  return createNotifier(targets, {
    aws,
    log: (fields) => {
      if (fields.event === 'notified') return;
      const what = fields.event === 'notify-skipped' ? 'not sent' : 'not delivered';
      io.stderr.write(`ecs-roll: notification "${fields.outcome}" to ${fields.target} ${what}: ${fields.message ?? 'unknown error'}\n`);
    },
  });
}
