/**
 * `install --notify` and `uninstall` for the SSM SecureString parameter that holds the notification
 * URLs (see src/core/install-notify.ts for why there). Reading it back is what lets a re-install keep
 * the URLs it is not given again; nothing here prints or logs a URL.
 * PutParameter with Overwrite replaces the value (tags only on creation); DeleteParameter answers
 * ParameterNotFound when it is gone. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
 */
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { INSTALL_TAG } from '../core/install-names.js';
import { NOTIFY_ENV, notifyParameterName, urlsOf } from '../core/install-notify.js';
import { parseNotifyTarget, type NotifyTarget } from '../core/notify-target.js';
import { clientConfig, type AwsConfig } from './config.js';
import { isAwsError } from './errors.js';

/** The targets the installed worker notifies: the topics in its environment, the URLs in the parameter it names. */
export async function installedNotifyTargets(aws: AwsConfig, environment: Readonly<Record<string, string>> | undefined): Promise<NotifyTarget[]> {
  const targets: NotifyTarget[] = [];
  for (const arn of (environment?.[NOTIFY_ENV.topics] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')) {
    try {
      targets.push(parseNotifyTarget(arn));
    } catch {
      // Not one install wrote: dropped, and the change shows in the report.
    }
  }
  const parameter = environment?.[NOTIFY_ENV.urlsParameter];
  if (parameter === undefined || parameter === '') return targets;
  const ssm = new SSMClient(clientConfig(aws));
  try {
    const answer = await ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
    const urls: unknown = JSON.parse(answer.Parameter?.Value ?? '[]');
    for (const url of Array.isArray(urls) ? urls : []) {
      try {
        targets.push(parseNotifyTarget(String(url)));
      } catch {
        // As above.
      }
    }
  } catch (error) {
    if (!isAwsError(error, 'ParameterNotFound')) throw error;
  } finally {
    ssm.destroy();
  }
  return targets;
}

/** Writes the URLs (or deletes the parameter when there are none); answers what it did, one line each, without a URL. */
export async function applyNotifyParameter(
  aws: AwsConfig,
  install: string,
  targets: readonly NotifyTarget[],
  installed: readonly NotifyTarget[],
): Promise<string[]> {
  const urls = urlsOf(targets);
  const before = urlsOf(installed);
  const name = notifyParameterName(install);
  if (urls.length === 0 && before.length === 0) return [];
  const ssm = new SSMClient(clientConfig(aws));
  try {
    if (urls.length === 0) {
      try {
        await ssm.send(new DeleteParameterCommand({ Name: name }));
      } catch (error) {
        if (!isAwsError(error, 'ParameterNotFound')) throw error;
      }
      return [`delete SSM parameter ${name} (no notification URLs)`];
    }
    if (JSON.stringify(urls) === JSON.stringify(before)) return [];
    const value = JSON.stringify(urls);
    try {
      // Tags are accepted only when the parameter is created, and not together with Overwrite.
      await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: value, Tags: [{ Key: INSTALL_TAG, Value: install }] }));
    } catch (error) {
      if (!isAwsError(error, 'ParameterAlreadyExists')) throw error;
      await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: value, Overwrite: true }));
    }
    return [`put SSM SecureString parameter ${name} (${urls.length} notification URL${urls.length === 1 ? '' : 's'})`];
  } finally {
    ssm.destroy();
  }
}

/** uninstall --dry-run: whether there is a parameter to delete (its value is not read). */
export async function notifyParameterExists(aws: AwsConfig, install: string): Promise<boolean> {
  const ssm = new SSMClient(clientConfig(aws));
  try {
    await ssm.send(new GetParameterCommand({ Name: notifyParameterName(install) }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound')) return false;
    throw error;
  } finally {
    ssm.destroy();
  }
}

/** uninstall: the parameter goes with the install. */
export async function removeNotifyParameter(aws: AwsConfig, install: string): Promise<'deleted' | 'already gone'> {
  const ssm = new SSMClient(clientConfig(aws));
  try {
    await ssm.send(new DeleteParameterCommand({ Name: notifyParameterName(install) }));
    return 'deleted';
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound')) return 'already gone';
    throw error;
  } finally {
    ssm.destroy();
  }
}
