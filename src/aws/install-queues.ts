/**
 * `install` and `uninstall` for the queues the webhook runs on (see src/core/install-queues.ts):
 * create or correct the four queues, map the two work queues to the worker, and take away the
 * reserved concurrency older installs set (ordering now comes from the FIFO queue's message groups).
 */
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { OperationFailedError } from '../core/errors.js';
import { INSTALL_TAG, type Location } from '../core/install-plan.js';
import { MAPPING_BATCH_SIZE, QUEUE_ROLES, queueArn, queueAttributes, queueNames, type QueueRole } from '../core/install-queues.js';
import { clientConfig, type AwsConfig } from './config.js';

function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && (names.includes(error.name) || names.some((name) => error.message.includes(name)));
}

async function existingUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (isNamed(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NonExistentQueue')) return undefined;
    throw error;
  }
}

/** Creates the queues or sets their attributes back; answers what it did, one line each. */
export async function applyQueues(aws: AwsConfig, at: Location, install: string, workerTimeoutSeconds: number): Promise<string[]> {
  const sqs = new SQSClient(clientConfig(aws));
  const names = queueNames(install);
  const done: string[] = [];
  try {
    // Dead-letter queues first: the redrive policies name them.
    for (const role of QUEUE_ROLES) {
      const name = names[role];
      const attributes = queueAttributes(role, at, install, workerTimeoutSeconds);
      const url = await existingUrl(sqs, name);
      if (url === undefined) {
        await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags: { [INSTALL_TAG]: install } }));
        done.push(`create SQS queue ${name}`);
        continue;
      }
      const current: Record<string, string | undefined> =
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
      // FifoQueue cannot change; everything else can be set back.
      const { FifoQueue: _fifo, ...settable } = attributes;
      const differs = Object.entries(settable).filter(([key, value]) => !sameAttribute(key, current[key], value));
      if (differs.length > 0) {
        await sqs.send(
          new SetQueueAttributesCommand({ QueueUrl: url, Attributes: Object.fromEntries(differs) as Partial<Record<QueueAttributeName, string>> }),
        );
        done.push(`set ${differs.map(([key]) => key).join(', ')} of SQS queue ${name}`);
      }
    }
  } finally {
    sqs.destroy();
  }
  return done;
}

function sameAttribute(key: string, current: string | undefined, wanted: string): boolean {
  if (current === wanted) return true;
  if (key !== 'RedrivePolicy' || current === undefined) return false;
  try {
    const a = JSON.parse(current) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    const b = JSON.parse(wanted) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    return a.deadLetterTargetArn === b.deadLetterTargetArn && Number(a.maxReceiveCount) === Number(b.maxReceiveCount);
  } catch {
    return false;
  }
}

const MAPPED: readonly QueueRole[] = ['pushes', 'follow'];

/** Maps the pushes and follow queues to the worker (batch size 1, partial batch responses). */
export async function applyMappings(aws: AwsConfig, at: Location, install: string, worker: string): Promise<string[]> {
  const lambda = new LambdaClient(clientConfig(aws));
  const names = queueNames(install);
  const done: string[] = [];
  try {
    const existing = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: worker }))).EventSourceMappings ?? [];
    for (const role of MAPPED) {
      const arn = queueArn(at, names[role]);
      const mapping = existing.find((candidate) => candidate.EventSourceArn === arn);
      const settings = { BatchSize: MAPPING_BATCH_SIZE, FunctionResponseTypes: ['ReportBatchItemFailures' as const], Enabled: true };
      if (mapping?.UUID === undefined) {
        await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: worker, EventSourceArn: arn, ...settings }));
        done.push(`map SQS queue ${names[role]} to ${worker} (batch size ${MAPPING_BATCH_SIZE}, ReportBatchItemFailures)`);
      } else if (mapping.BatchSize !== MAPPING_BATCH_SIZE || !(mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures')) {
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, ...settings }));
        done.push(`update the mapping of SQS queue ${names[role]} to ${worker}`);
      }
    }
    // Older installs kept order with reserved concurrency 1; the queue's message groups do that now,
    // and a reservation would only make alarm events wait behind rollouts.
    const reserved = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: worker }));
    if (reserved.ReservedConcurrentExecutions !== undefined) {
      await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: worker }));
      done.push(`remove the reserved concurrency (${reserved.ReservedConcurrentExecutions}) of ${worker}: the pushes queue keeps order`);
    }
  } finally {
    lambda.destroy();
  }
  return done;
}

export interface QueueRemoval {
  readonly kind: 'sqs-queue' | 'event-source-mapping';
  readonly name: string;
  readonly status: 'deleted' | 'already gone' | 'not ours, left alone';
  readonly reason?: string;
}

/** Uninstall: the mappings first (no more invocations), then the queues this install tagged. */
export async function removeQueues(aws: AwsConfig, install: string, worker: string): Promise<QueueRemoval[]> {
  const lambda = new LambdaClient(clientConfig(aws));
  const sqs = new SQSClient(clientConfig(aws));
  const names = queueNames(install);
  const removed: QueueRemoval[] = [];
  try {
    const mappings = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: worker })).catch((error: unknown) => {
      if (isNamed(error, 'ResourceNotFoundException')) return { EventSourceMappings: [] };
      throw error;
    });
    const ours = new Set(MAPPED.map((role) => names[role]));
    for (const mapping of mappings.EventSourceMappings ?? []) {
      const queue = mapping.EventSourceArn?.split(':')[5];
      if (mapping.UUID === undefined || queue === undefined || !ours.has(queue)) continue;
      await lambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }));
      removed.push({ kind: 'event-source-mapping', name: `${queue} → ${worker}`, status: 'deleted' });
    }
    for (const role of QUEUE_ROLES) {
      const name = names[role];
      const url = await existingUrl(sqs, name);
      if (url === undefined) {
        removed.push({ kind: 'sqs-queue', name, status: 'already gone' });
        continue;
      }
      const tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
      if (tags[INSTALL_TAG] !== install) {
        removed.push({ kind: 'sqs-queue', name, status: 'not ours, left alone', reason: `no tag ${INSTALL_TAG}=${install}` });
        continue;
      }
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
      removed.push({ kind: 'sqs-queue', name, status: 'deleted' });
    }
  } catch (error) {
    throw new OperationFailedError(`removing the install's queues failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  } finally {
    lambda.destroy();
    sqs.destroy();
  }
  return removed;
}
