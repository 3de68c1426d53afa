/**
 * `uninstall` through the SDK: read what exists (uninstall-read.ts), plan the removal
 * (core/uninstall-plan.ts), then delete step by step, stopping between two steps once interrupted.
 * `--dry-run` stops after the plan.
 */
import { DeleteRestApiCommand } from '@aws-sdk/client-api-gateway';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteRuleCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { deleteManagedPolicy } from '../aws/install-apply/iam.js';
import { DeleteEventSourceMappingCommand, DeleteFunctionCommand, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { EVENTS_PERMISSION_STATEMENT_ID } from '../core/ecr-trigger.js';
import { OperationFailedError } from '../core/errors.js';
import { installNames } from '../core/install-names.js';
import { notifyParameterName } from '../core/install-notify.js';
import { planUninstall, type RemovalKind, type RemovalStep } from '../core/uninstall-plan.js';
import type { AwsConfig } from '../aws/config.js';
import { isAwsError } from '../aws/errors.js';
import { orMissing, withClients, type InstallClients } from '../aws/install-clients.js';
import { observeRemoval } from '../aws/uninstall-read.js';

export type RemovalStatus = 'deleted' | 'already gone' | 'not ours, left alone' | 'would delete';

export interface RemovalReport {
  readonly kind: RemovalKind | 'ssm-parameter';
  readonly name: string;
  readonly id?: string;
  readonly status: RemovalStatus;
  readonly reason?: string;
  /** For the topic: how many subscriptions went with it. */
  readonly subscriptions?: number;
}

export interface UninstallRequest {
  readonly aws: AwsConfig;
  readonly name: string;
  readonly signal: AbortSignal;
  /** Read and plan only: each step that a run would delete is reported as `would delete`. */
  readonly dryRun?: boolean;
  /** Told each step as it is done. */
  readonly onStep?: (report: RemovalReport) => void;
}

export async function runUninstall(request: UninstallRequest): Promise<RemovalReport[]> {
  const reports = await withClients(request.aws, (clients) => uninstallWith(clients, request));
  // The notification URLs' parameter (src/aws/install-notify.ts), once no function of the install is left to read it;
  // reported only when there is one, so an install without --notify reports what it always did.
  if (reports.some((report) => report.kind === 'lambda-function' && report.status === 'not ours, left alone')) return reports;
  const { notifyParameterExists, removeNotifyParameter } = await import('../aws/install-notify.js');
  const name = notifyParameterName(request.name);
  const status: RemovalStatus | undefined =
    request.dryRun === true
      ? (await notifyParameterExists(request.aws, request.name))
        ? 'would delete'
        : undefined
      : (await removeNotifyParameter(request.aws, request.name)) === 'deleted'
        ? 'deleted'
        : undefined;
  if (status === undefined) return reports;
  const report: RemovalReport = { kind: 'ssm-parameter', name, status };
  request.onStep?.(report);
  return [...reports, report];
}

export async function uninstallWith(clients: InstallClients, request: Omit<UninstallRequest, 'aws'>): Promise<RemovalReport[]> {
  const names = installNames(request.name);
  const steps = planUninstall(
    names,
    await observeRemoval(clients, names, [
      { name: names.role, policyName: names.policy },
      { name: names.receiverRole, policyName: names.receiverPolicy },
    ]),
  );
  const reports: RemovalReport[] = [];
  for (const step of steps) {
    let status: RemovalStatus;
    if (step.decision !== 'delete') status = step.decision;
    else if (request.dryRun === true) status = 'would delete';
    else {
      if (request.signal.aborted) throw new OperationFailedError('interrupted; run uninstall again to finish (it picks up where this run stopped)');
      status = (await removeStep(clients, step)) ? 'deleted' : 'already gone';
    }
    const report: RemovalReport = {
      kind: step.kind,
      name: step.name,
      ...(step.id === undefined ? {} : { id: step.id }),
      status,
      ...(step.reason === undefined ? {} : { reason: step.reason }),
      ...(step.subscriptions === undefined ? {} : { subscriptions: step.subscriptions }),
    };
    reports.push(report);
    request.onStep?.(report);
  }
  return reports;
}

/** Deletes what one step names; false when it was already gone. */
async function removeStep(clients: InstallClients, step: RemovalStep): Promise<boolean> {
  const { apigw, events, iam, lambda, logs, sns, sqs } = clients;
  const address = typeof step.address === 'string' ? step.address : '';
  const gone = async (call: Promise<unknown>, ...names: string[]) => (await orMissing(call, ...names)) !== undefined;
  switch (step.kind) {
    case 'rest-api':
      return gone(apigw.send(new DeleteRestApiCommand({ restApiId: step.id ?? '' })), 'NotFoundException');
    case 'lambda-permission':
      return gone(
        lambda.send(new RemovePermissionCommand({ FunctionName: address, StatementId: EVENTS_PERMISSION_STATEMENT_ID })),
        'ResourceNotFoundException',
      );
    case 'eventbridge-rule': {
      // EventBridge refuses to delete a rule that still has targets.
      const ids = Array.isArray(step.address) ? [...step.address] : [];
      if (ids.length > 0) await events.send(new RemoveTargetsCommand({ Rule: step.name, Ids: ids }));
      return gone(events.send(new DeleteRuleCommand({ Name: step.name })), 'ResourceNotFoundException');
    }
    case 'sns-topic':
      // DeleteTopic takes the topic's subscriptions with it.
      await sns.send(new DeleteTopicCommand({ TopicArn: step.id ?? '' }));
      return true;
    case 'event-source-mapping':
    case 'sqs-queue':
      try {
        if (step.kind === 'event-source-mapping')
          return gone(lambda.send(new DeleteEventSourceMappingCommand({ UUID: address })), 'ResourceNotFoundException');
        await sqs.send(new DeleteQueueCommand({ QueueUrl: address }));
        return true;
      } catch (error) {
        throw new OperationFailedError(`removing the install's queues failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    case 'lambda-function':
      return gone(lambda.send(new DeleteFunctionCommand({ FunctionName: step.name })), 'ResourceNotFoundException');
    case 'iam-managed-policy':
      // Detached first: IAM refuses to delete a policy still attached to a role.
      if (address !== '')
        await orMissing(iam.send(new DetachRolePolicyCommand({ RoleName: address, PolicyArn: step.id ?? '' })), 'NoSuchEntityException');
      return gone(
        deleteManagedPolicy(iam, step.id ?? '').then(() => true),
        'NoSuchEntityException',
      );
    case 'iam-role-policy':
      return gone(iam.send(new DeleteRolePolicyCommand({ RoleName: address, PolicyName: step.name })), 'NoSuchEntityException');
    case 'iam-role':
      try {
        return await gone(iam.send(new DeleteRoleCommand({ RoleName: step.name })), 'NoSuchEntityException');
      } catch (error) {
        if (!isAwsError(error, 'DeleteConflictException')) throw error;
        throw new OperationFailedError(
          `IAM role ${step.name} still has policies that install did not put there; detach them and run uninstall again`,
          {
            cause: error,
          },
        );
      }
    case 'log-group':
      return gone(logs.send(new DeleteLogGroupCommand({ logGroupName: step.name })), 'ResourceNotFoundException');
  }
}
