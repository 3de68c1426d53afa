/**
 * install's Lambda handler: the functions (code, configuration, concurrency) and the statements of
 * their resource policies. Lambda refuses changes while a function is not Active or an update is in
 * progress, so each change waits for that first and after.
 * https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
 */
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type Architecture,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { lastSlashSegment } from '../../core/arn.js';
import { OperationFailedError } from '../../core/errors.js';
import { ARCHITECTURE } from '../../core/install-names.js';
import { retryWhileRolePropagates } from '../../core/install-retry.js';
import type { FunctionSpec } from '../../core/install-types.js';
import { HANDLERS } from '../lambda-package.js';
import { isAwsError } from '../errors.js';
import { orMissing } from '../install-clients.js';
import type { ActionOf, ApplyContext, Learned, ServiceHandler } from './context.js';

type LambdaKind =
  | 'create-function'
  | 'update-function-code'
  | 'update-function-configuration'
  | 'put-concurrency'
  | 'remove-permission'
  | 'add-permission';

export const ACTIVE_TIMEOUT_MS = 5 * 60_000;

type Waiter = { update(text: string): void; stop(): void };

export function lambdaHandler(context: ApplyContext): ServiceHandler<LambdaKind> {
  const { lambda } = context.clients;

  /** Until the function is Active and no update is in progress. */
  async function waitUntilReady(name: string): Promise<void> {
    const started = context.clock.now();
    let wait: Waiter | undefined;
    try {
      for (;;) {
        const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
        const state = configuration.State ?? 'Active';
        const update = configuration.LastUpdateStatus ?? 'Successful';
        if (state === 'Failed')
          throw new OperationFailedError(`Lambda function ${name} failed to start: ${configuration.StateReason ?? 'no reason given'}`);
        if (update === 'Failed') {
          throw new OperationFailedError(
            `the last update of Lambda function ${name} failed: ${configuration.LastUpdateStatusReason ?? 'no reason given'}`,
          );
        }
        if (state === 'Active' && update !== 'InProgress') return;
        const elapsed = context.clock.now() - started;
        if (elapsed > ACTIVE_TIMEOUT_MS) {
          throw new OperationFailedError(`Lambda function ${name} is still ${state} (update ${update}) after ${Math.round(elapsed / 1000)} s`);
        }
        const text = `waiting for Lambda function ${name} to be ready (${state}, update ${update})`;
        if (wait === undefined) wait = context.progress.waiting(text);
        else wait.update(text);
        if (context.signal.aborted) throw new OperationFailedError('interrupted; run install again to finish');
        await context.clock.sleep(1000);
      }
    } finally {
      wait?.stop();
    }
  }

  async function createFunction(fn: FunctionSpec, tags: Readonly<Record<string, string>>): Promise<void> {
    let wait: Waiter | undefined;
    try {
      await retryWhileRolePropagates(
        () =>
          lambda.send(
            new CreateFunctionCommand({
              FunctionName: fn.name,
              Role: fn.roleArn,
              Runtime: fn.runtime as Runtime,
              Handler: fn.handler,
              Code: { ZipFile: context.zip },
              Timeout: fn.timeout,
              MemorySize: fn.memorySize,
              Architectures: [fn.architecture as Architecture],
              Environment: { Variables: { ...fn.environment } },
              Description: `ecs-roll webhook ${fn.handler === HANDLERS.receiver ? 'receiver' : 'worker'} (install ${context.install})`,
              Tags: { ...tags },
            }),
          ),
        context.clock,
        {
          signal: context.signal,
          onRetry: (attempt, elapsedMs) => {
            const text = `waiting for IAM to let Lambda assume role ${lastSlashSegment(fn.roleArn)} (new roles take up to a few minutes; ${Math.round(elapsedMs / 1000)} s, attempt ${attempt})`;
            if (wait === undefined) wait = context.progress.waiting(text);
            else wait.update(text);
          },
        },
      );
    } finally {
      wait?.stop();
    }
    await waitUntilReady(fn.name);
  }

  return {
    kinds: ['create-function', 'update-function-code', 'update-function-configuration', 'put-concurrency', 'remove-permission', 'add-permission'],
    async apply(action: ActionOf<LambdaKind>): Promise<Learned> {
      switch (action.kind) {
        case 'create-function':
          await createFunction(action.function, action.tags);
          return {};
        case 'update-function-code':
          await waitUntilReady(action.functionName);
          await lambda.send(
            new UpdateFunctionCodeCommand({ FunctionName: action.functionName, ZipFile: context.zip, Architectures: [ARCHITECTURE as Architecture] }),
          );
          await waitUntilReady(action.functionName);
          return {};
        case 'update-function-configuration': {
          const fn = action.function;
          await waitUntilReady(fn.name);
          await retryWhileRolePropagates(
            () =>
              lambda.send(
                new UpdateFunctionConfigurationCommand({
                  FunctionName: fn.name,
                  Handler: fn.handler,
                  Runtime: fn.runtime as Runtime,
                  Timeout: fn.timeout,
                  MemorySize: fn.memorySize,
                  Role: fn.roleArn,
                  Environment: { Variables: { ...fn.environment } },
                }),
              ),
            context.clock,
            { signal: context.signal },
          );
          await waitUntilReady(fn.name);
          return {};
        }
        case 'put-concurrency':
          try {
            await lambda.send(
              new PutFunctionConcurrencyCommand({ FunctionName: action.functionName, ReservedConcurrentExecutions: action.reservedConcurrency }),
            );
          } catch (error) {
            if (isAwsError(error, 'ResourceNotFoundException', 'ServiceException')) throw error;
            const message =
              `could not reserve concurrency ${action.reservedConcurrency} for ${action.functionName} ` +
              `(${error instanceof Error ? error.message : String(error)}); two rollouts may then run at once`;
            context.warnings.push(message);
            context.progress.warn(message);
          }
          return {};
        case 'remove-permission':
          await orMissing(
            lambda.send(new RemovePermissionCommand({ FunctionName: action.functionName, StatementId: action.statementId })),
            'ResourceNotFoundException',
          );
          return {};
        case 'add-permission':
          await lambda.send(
            new AddPermissionCommand({
              FunctionName: action.functionName,
              StatementId: action.statementId,
              Action: 'lambda:InvokeFunction',
              Principal: action.principal,
              ...(action.sourceArn === undefined ? {} : { SourceArn: action.sourceArn }),
              ...(action.sourceAccount === undefined ? {} : { SourceAccount: action.sourceAccount }),
            }),
          );
          return {};
      }
    },
  };
}
