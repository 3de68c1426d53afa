/**
 * Notifications from the webhook worker (pushes, follow looks, the alarm path). `install --notify`
 * keeps SNS topic ARNs, which are not secrets, in the function's environment, and the URLs, which
 * are, in an SSM SecureString parameter that only the worker's role may read: the function's
 * configuration (readable by anyone with lambda:GetFunctionConfiguration) never holds one.
 */
import { NOTIFY_ENV } from '../core/install-notify.js';
import { parseNotifyTarget, type NotifyTarget } from '../core/notify-target.js';
import { noticesFromWorkerLog } from '../core/worker-notices.js';
import type { LogLine } from '../webhook/log.js';
import { createNotifier, NOTIFY_TIMEOUT_MS, NO_NOTIFIER, type Notifier } from './notifier.js';

/** Comma-separated SNS topic ARNs, and the name of the SecureString parameter holding a JSON list of URLs. */
export { NOTIFY_ENV };

let cached: Promise<NotifyTarget[]> | undefined;

/** The worker's targets, read once per Lambda instance; a parameter that cannot be read leaves the topics. */
export function workerTargets(env: NodeJS.ProcessEnv, log: LogLine): Promise<NotifyTarget[]> {
  cached ??= readTargets(env, log);
  return cached;
}

async function readTargets(env: NodeJS.ProcessEnv, log: LogLine): Promise<NotifyTarget[]> {
  const targets: NotifyTarget[] = [];
  for (const arn of (env[NOTIFY_ENV.topics] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')) {
    try {
      targets.push(parseNotifyTarget(arn, NOTIFY_ENV.topics));
    } catch (error) {
      log({ level: 'warn', event: 'notify-misconfigured', message: error instanceof Error ? error.message : String(error) });
    }
  }
  const parameter = env[NOTIFY_ENV.urlsParameter];
  if (parameter === undefined || parameter === '') return targets;
  try {
    const { getSecureParameter } = await import('./ssm-parameter.js');
    const urls: unknown = JSON.parse(await getSecureParameter(parameter, { env, timeoutMs: NOTIFY_TIMEOUT_MS }));
    if (!Array.isArray(urls)) throw new Error(`${parameter} does not hold a JSON list`);
    for (const url of urls) {
      try {
        targets.push(parseNotifyTarget(String(url)));
      } catch (error) {
        // The message never repeats the URL (see parseNotifyTarget).
        log({ level: 'warn', event: 'notify-misconfigured', message: error instanceof Error ? error.message : String(error) });
      }
    }
  } catch (error) {
    // Read again at the next cold start; the rollouts go on without the URLs meanwhile.
    cached = undefined;
    log({
      level: 'warn',
      event: 'notify-misconfigured',
      parameter,
      message: `could not read the notification URLs: ${error instanceof Error ? error.name : String(error)}`,
    });
  }
  return targets;
}

/** A notifier for one invocation, logging each delivery as a JSON line. */
export async function workerNotifier(env: NodeJS.ProcessEnv, log: LogLine): Promise<Notifier> {
  if (!env[NOTIFY_ENV.topics] && !env[NOTIFY_ENV.urlsParameter]) return NO_NOTIFIER;
  const targets = await workerTargets(env, log);
  return createNotifier(targets, { log: (fields) => log({ ...fields }) });
}

/** The log, with each outcome line also sent to the current invocation's notifier. */
export function notifyingLog(log: LogLine, current: () => Notifier | undefined): LogLine {
  return (fields) => {
    log(fields);
    const notifier = current();
    if (notifier === undefined || notifier === NO_NOTIFIER) return;
    for (const notice of noticesFromWorkerLog(fields)) notifier.notify(notice);
  };
}
