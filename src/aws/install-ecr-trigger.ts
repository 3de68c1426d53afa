/**
 * The ECR trigger of `install --source ecr`: an EventBridge rule on the default bus for ECR's
 * successful pushes of the allow-listed repositories, targeting the worker, and the worker's
 * permission for EventBridge to invoke it from that rule alone.
 * PutRule/PutTargets: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html,
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
 * The permission: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
 * Loaded only by install and uninstall, so the EventBridge client costs nothing elsewhere.
 */
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, GetPolicyCommand, LambdaClient, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { OperationFailedError } from '../core/errors.js';
import { ECR_TARGET_ID, ecrEventPattern, ecrRuleName, EVENTS_PERMISSION_STATEMENT_ID, EVENTS_PRINCIPAL } from '../core/ecr-trigger.js';
import { INSTALL_TAG } from '../core/install-plan.js';
import { clientConfig, type AwsConfig } from './config.js';

function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

async function orMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** The worker's statement with our Sid: its SourceArn, or undefined when there is none. */
async function permissionSourceArn(lambda: LambdaClient, functionName: string): Promise<string | null | undefined> {
  const policy = await orMissing(lambda.send(new GetPolicyCommand({ FunctionName: functionName })));
  if (policy?.Policy === undefined) return undefined;
  const statements =
    (JSON.parse(policy.Policy) as { Statement?: { Sid?: string; Condition?: { ArnLike?: Record<string, string> } }[] }).Statement ?? [];
  const statement = statements.find((candidate) => candidate.Sid === EVENTS_PERMISSION_STATEMENT_ID);
  if (statement === undefined) return undefined;
  return statement.Condition?.ArnLike?.['AWS:SourceArn'] ?? null;
}

/** Refuses a rule of this name that another tool or install made (PutRule would quietly take it over). */
async function ensureOurs(events: EventBridgeClient, install: string, ruleArn: string): Promise<void> {
  const tags = await events.send(new ListTagsForResourceCommand({ ResourceARN: ruleArn }));
  const value = (tags.Tags ?? []).find((tag) => tag.Key === INSTALL_TAG)?.Value;
  if (value !== install) {
    throw new OperationFailedError(
      `EventBridge rule ${ecrRuleName(install)} exists but is not tagged ${INSTALL_TAG}=${install}, so another tool or install owns it; choose another --name`,
    );
  }
}

export interface EcrTriggerRequest {
  readonly aws: AwsConfig;
  readonly install: string;
  readonly workerName: string;
  readonly workerArn: string;
  readonly repositoryNames: readonly string[];
}

/** Puts the rule, its target and the permission; each step is idempotent, so a re-run changes only what differs. */
export async function applyEcrTrigger(request: EcrTriggerRequest): Promise<{ ruleArn: string; lines: string[] }> {
  const config = clientConfig(request.aws);
  const events = new EventBridgeClient(config);
  const lambda = new LambdaClient(config);
  const name = ecrRuleName(request.install);
  const lines: string[] = [];
  const existing = await orMissing(events.send(new DescribeRuleCommand({ Name: name })));
  if (existing?.Arn !== undefined) await ensureOurs(events, request.install, existing.Arn);
  const pattern = JSON.stringify(ecrEventPattern(request.repositoryNames));
  let ruleArn = existing?.Arn;
  if (
    existing === undefined ||
    existing.EventPattern === undefined ||
    JSON.stringify(JSON.parse(existing.EventPattern)) !== pattern ||
    existing.State !== 'ENABLED'
  ) {
    const answer = await events.send(
      new PutRuleCommand({
        Name: name,
        EventPattern: pattern,
        State: 'ENABLED',
        Description: `ecs-roll: ECR pushes of the allow-listed repositories to the worker (install ${request.install})`,
        // Tags given to PutRule apply when it creates the rule.
        Tags: [{ Key: INSTALL_TAG, Value: request.install }],
      }),
    );
    ruleArn = answer.RuleArn;
    lines.push(`${existing === undefined ? 'create' : 'update'} EventBridge rule ${name} for ECR pushes of ${request.repositoryNames.join(', ')}`);
  }
  if (ruleArn === undefined) throw new OperationFailedError(`PutRule ${name} answered without a rule ARN`);
  const targets = await events.send(new ListTargetsByRuleCommand({ Rule: name }));
  if (!(targets.Targets ?? []).some((target) => target.Id === ECR_TARGET_ID && target.Arn === request.workerArn)) {
    const answer = await events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: ECR_TARGET_ID, Arn: request.workerArn }] }));
    if ((answer.FailedEntryCount ?? 0) > 0) {
      throw new OperationFailedError(
        `PutTargets ${name} failed: ${answer.FailedEntries?.map((entry) => entry.ErrorMessage).join('; ') ?? 'no reason given'}`,
      );
    }
    lines.push(`target the worker ${request.workerName} from EventBridge rule ${name}`);
  }
  const current = await permissionSourceArn(lambda, request.workerName);
  if (current !== ruleArn) {
    if (current !== undefined) {
      await orMissing(lambda.send(new RemovePermissionCommand({ FunctionName: request.workerName, StatementId: EVENTS_PERMISSION_STATEMENT_ID })));
    }
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: request.workerName,
        StatementId: EVENTS_PERMISSION_STATEMENT_ID,
        Action: 'lambda:InvokeFunction',
        Principal: EVENTS_PRINCIPAL,
        SourceArn: ruleArn,
      }),
    );
    lines.push(`allow ${EVENTS_PRINCIPAL} to invoke ${request.workerName} from ${ruleArn}`);
  }
  return { ruleArn, lines };
}

export interface EcrTriggerRemoval {
  readonly kind: 'eventbridge-rule' | 'lambda-permission';
  readonly name: string;
  readonly status: 'deleted' | 'already gone' | 'not ours, left alone';
  readonly reason?: string;
}

/** The permission, the rule's targets and the rule (EventBridge refuses to delete a rule that still has targets). */
export async function removeEcrTrigger(aws: AwsConfig, install: string, workerName: string): Promise<EcrTriggerRemoval[]> {
  const config = clientConfig(aws);
  const events = new EventBridgeClient(config);
  const lambda = new LambdaClient(config);
  const name = ecrRuleName(install);
  const removed: EcrTriggerRemoval[] = [];
  const permission =
    (await permissionSourceArn(lambda, workerName)) === undefined
      ? undefined
      : await orMissing(lambda.send(new RemovePermissionCommand({ FunctionName: workerName, StatementId: EVENTS_PERMISSION_STATEMENT_ID })));
  // Reported only when there was one: an install without the ecr source never had it.
  if (permission !== undefined)
    removed.push({ kind: 'lambda-permission', name: `${workerName} ${EVENTS_PERMISSION_STATEMENT_ID}`, status: 'deleted' });
  const rule = await orMissing(events.send(new DescribeRuleCommand({ Name: name })));
  if (rule?.Arn === undefined) {
    removed.push({ kind: 'eventbridge-rule', name, status: 'already gone' });
    return removed;
  }
  try {
    await ensureOurs(events, install, rule.Arn);
  } catch {
    removed.push({ kind: 'eventbridge-rule', name, status: 'not ours, left alone', reason: `no tag ${INSTALL_TAG}=${install}` });
    return removed;
  }
  const targets = await events.send(new ListTargetsByRuleCommand({ Rule: name }));
  const ids = (targets.Targets ?? []).flatMap((target) => (target.Id === undefined ? [] : [target.Id]));
  if (ids.length > 0) await events.send(new RemoveTargetsCommand({ Rule: name, Ids: ids }));
  const gone = await orMissing(events.send(new DeleteRuleCommand({ Name: name })));
  removed.push({ kind: 'eventbridge-rule', name, status: gone === undefined ? 'already gone' : 'deleted' });
  return removed;
}
