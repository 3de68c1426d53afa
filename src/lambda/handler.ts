/**
 * The Lambda entry points, bundled into one file: `handler.receive` answers API Gateway within its
 * 29 s limit and hands the rollout to `handler.work`, invoked asynchronously, which runs it with
 * waiting and rollback. Configuration comes from the environment that `install` sets.
 */
import { isEcsRollError } from '../core/errors.js';
import { ENV, webhookConfigFromEnv, type WebhookConfig } from '../webhook/config.js';
import { settingsEnvironment } from '../webhook/settings-file.js';
import { decideEcrEvent, isEcrImageAction } from '../webhook/ecr-event.js';
import { jsonLines } from '../webhook/log.js';
import type { Notifier } from '../notify/notifier.js';
import { notifyingLog, workerNotifier } from '../notify/worker.js';
import { MAX_BODY_BYTES, parseJob, pushDeduplicationId, receiveWebhook, type RolloutJob } from '../webhook/receiver.js';
import { alarmRecheckSender, followSender, handleSqsEvent, isSqsEvent, type BatchResponse } from './queue-handler.js';
import type { PushJob } from '../app/push.js';
import { systemClock } from '../core/ports.js';
import { createUnauthenticatedLog } from '../webhook/unauthenticated-log.js';
import { receiverLambda, receiverSqs } from './clients.js';
import { normaliseHttpEvent, type HttpRequestFields } from './http-event.js';
import { handleAlarmEvent, handleAlarmRecheck, isAlarmEvent, type AlarmDecision } from './alarm.js';

/** With a follow queue, an alarm still in ALARM after its cooldown acts again (src/core/alarm-recheck.ts). */
function alarmRecheckOption(): { recheck?: NonNullable<ReturnType<typeof alarmRecheckSender>> } {
  const recheck = alarmRecheckSender(process.env);
  return recheck === undefined ? {} : { recheck };
}

/** The fields of API Gateway's REST proxy event that the receiver reads; HTTP API and function URL events are read too. */
export interface ApiGatewayProxyEvent {
  readonly httpMethod?: string;
  readonly path?: string;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface ApiGatewayProxyResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface LambdaContext {
  getRemainingTimeInMillis?(): number;
}

const baseLog = jsonLines((line) => process.stdout.write(line));
/** The notifier of the invocation in progress (Lambda runs one event at a time per instance). */
let currentNotifier: Notifier | undefined;
/** Outcome lines also go to `install --notify`'s targets (src/notify/worker.ts). */
const log = notifyingLog(baseLog, () => currentNotifier);
/** Kept across warm invocations of one instance, so a flood is rate-limited per instance. */
const logUnauthenticated = createUnauthenticatedLog(log);
let cachedConfig: WebhookConfig | undefined;

function config(): WebhookConfig {
  // The settings file in the zip holds what did not fit the environment (src/webhook/settings-file.ts).
  cachedConfig ??= webhookConfigFromEnv(settingsEnvironment(process.env));
  return cachedConfig;
}

function answer(statusCode: number, body: Readonly<Record<string, unknown>>): ApiGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}

function bodyOf(event: HttpRequestFields): { body: Buffer | undefined; tooLarge: boolean } {
  const raw = typeof event.body === 'string' ? event.body : '';
  // Base64 is a third larger than what it encodes; refuse before decoding anything huge.
  if (raw.length > MAX_BODY_BYTES * 2) return { body: undefined, tooLarge: true };
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return body.length > MAX_BODY_BYTES ? { body: undefined, tooLarge: true } : { body, tooLarge: false };
}

export async function receive(rawEvent: ApiGatewayProxyEvent | unknown): Promise<ApiGatewayProxyResult> {
  const event = normaliseHttpEvent(rawEvent);
  if (event === undefined) {
    log({ level: 'warn', event: 'webhook', status: 400, message: 'the event is not an HTTP request' });
    return answer(400, { error: 'the event is not an HTTP request' });
  }
  let settings: WebhookConfig;
  try {
    settings = config();
  } catch (error) {
    log({ level: 'error', event: 'misconfigured', message: error instanceof Error ? error.message : String(error) });
    return answer(503, { error: 'not configured' });
  }
  const { body, tooLarge } = bodyOf(event);
  const decision = receiveWebhook({ method: event.method, path: event.path, body, bodyTooLarge: tooLarge }, settings);
  // The path holds the token, so only the outcome is logged.
  if (!decision.authenticated) logUnauthenticated({ status: decision.status, method: event.method, source: event.sourceIp });
  else
    log({
      level: decision.status >= 400 ? 'warn' : 'info',
      event: 'webhook',
      status: decision.status,
      image: decision.job?.image,
      source: event.sourceIp,
    });
  if (decision.ignored !== undefined) await notifyIgnored(decision.ignored);
  if (decision.job === undefined) return answer(decision.status, decision.body);

  const queue = process.env[ENV.pushQueue];
  const worker = process.env[ENV.workerFunction];
  try {
    if (queue !== undefined && queue !== '') await handOffToQueue(queue, decision.job);
    else if (worker !== undefined && worker !== '') await handOffByInvoke(worker, decision.job);
    else {
      log({ level: 'error', event: 'misconfigured', message: `neither ${ENV.pushQueue} nor ${ENV.workerFunction} is set` });
      return answer(503, { error: 'not configured' });
    }
  } catch (error) {
    log({ level: 'error', event: 'handoff-failed', image: decision.job.image, message: error instanceof Error ? error.message : String(error) });
    return answer(503, { error: 'could not queue the rollout; try again' });
  }
  return answer(decision.status, decision.body);
}

/**
 * A push the install's policy ignores ends here, in the receiver: the one outcome the worker never sees.
 * Bounded like every notification (a few seconds, well inside API Gateway's 29 s), never an error.
 */
async function notifyIgnored(ignored: NonNullable<ReturnType<typeof receiveWebhook>['ignored']>): Promise<void> {
  const notifier = await workerNotifier(process.env, baseLog);
  notifier.notify({
    operation: 'rollout',
    outcome: 'ignored',
    source: 'webhook',
    image: ignored.image,
    pushedAt: ignored.pushedAt,
    reason: ignored.reason,
    services: [],
  });
  await notifier.flush();
}

/**
 * The push goes to a FIFO queue: one message group per repository keeps one repository's pushes in
 * push order without reserved concurrency, and the deduplication id (the push itself) makes SQS drop a
 * duplicate delivery within its 5-minute interval.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-key-terms.html
 */
async function handOffToQueue(queue: string, job: RolloutJob): Promise<void> {
  const [{ SendMessageCommand }, { queueUrl }] = await Promise.all([import('@aws-sdk/client-sqs'), import('./queue-handler.js')]);
  // Timeouts as for every AWS call: a hand-off that never answers must not hold API Gateway's 29 s.
  await (await receiverSqs()).send(
    new SendMessageCommand({
      QueueUrl: await queueUrl(queue),
      MessageBody: JSON.stringify(job),
      MessageGroupId: job.repository,
      MessageDeduplicationId: pushDeduplicationId(job),
    }),
  );
}

/** `ecs-roll package` users without the queues: the worker's async invocation, as before. */
async function handOffByInvoke(worker: string, job: RolloutJob): Promise<void> {
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  await (await receiverLambda()).send(
    new InvokeCommand({ FunctionName: worker, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(job)) }),
  );
}

/**
 * An ECR push delivered by install's EventBridge rule: the job it names (logged and dropped when it is
 * not a successful push of an allowed repository, never retried), or undefined for any other event.
 */
function ecrJob(event: unknown): { image: string; pushedAt: number } | null | undefined {
  if (!isEcrImageAction(event)) return undefined;
  let settings: WebhookConfig;
  try {
    settings = config();
  } catch (error) {
    log({ level: 'error', event: 'misconfigured', message: error instanceof Error ? error.message : String(error) });
    return null;
  }
  const decision = decideEcrEvent(event, settings);
  if (decision.kind === 'job') return { image: decision.push.image, pushedAt: decision.push.pushedAt };
  log({ level: decision.kind === 'ignored' ? 'info' : 'warn', event: `ecr-push-${decision.kind}`, reason: decision.reason });
  return null;
}

/** Leaves time for the rollback's own wait and for the report before Lambda stops the function. */
/** The run's budget (its waits and a rollback's share it) ends 30 s before Lambda stops the function, for the report. */
function waitBudgetSeconds(context: LambdaContext | undefined, configured: number): number {
  const remainingMs = context?.getRemainingTimeInMillis?.();
  if (remainingMs === undefined) return configured;
  return Math.max(10, Math.min(configured, Math.floor((remainingMs - 30_000) / 1000)));
}

/**
 * A push job reached the worker: re-checked against the install's allow-list and policy, started
 * without waiting, and followed through the follow queue. Every source of pushes feeds this one
 * function (the receiver's queue, a direct invocation, an ECR event made into a RolloutJob).
 */
export async function acceptPushJob(job: PushJob, remainingMs?: number): Promise<void> {
  const [{ startPush }, { openSdkWorker, sdkRolloutPorts }] = await Promise.all([import('../app/push.js'), import('../app/rollout-aws.js')]);
  const settings = config();
  const worker = openSdkWorker({});
  try {
    await startPush(
      job,
      settings,
      { ...sdkRolloutPorts({}), clock: systemClock, ecs: worker.ecs },
      log,
      followSender(settings, process.env),
      remainingMs,
    );
  } finally {
    worker.close();
  }
}

export async function work(
  event: unknown,
  context?: LambdaContext,
): Promise<{ ok: boolean; reason?: string; decisions?: AlarmDecision[] } | BatchResponse> {
  currentNotifier = await workerNotifier(process.env, baseLog);
  try {
    return await workOn(event, context);
  } finally {
    // Before the invocation ends (Lambda freezes what is still in flight): bounded to a few seconds.
    await currentNotifier.flush();
    currentNotifier = undefined;
  }
}

async function workOn(
  event: unknown,
  context?: LambdaContext,
): Promise<{ ok: boolean; reason?: string; decisions?: AlarmDecision[] } | BatchResponse> {
  // CloudWatch alarms reach the worker through the install's SNS topic or as a direct alarm action;
  // handleAlarmEvent logs every decision and never throws, so Lambda does not retry a scale.
  if (isAlarmEvent(event)) return handleAlarmEvent(event, log, undefined, { ...alarmRecheckOption() });
  if (isSqsEvent(event)) {
    return handleSqsEvent(
      event,
      {
        push: (job) => acceptPushJob(job, context?.getRemainingTimeInMillis?.()),
        alarmRecheck: async (note) => {
          const decision = await handleAlarmRecheck(note, log, undefined, { ...alarmRecheckOption() });
          // Thrown only before any change (a failed read): SQS delivers the note again, then dead-letters it.
          if (decision.decision === 'failed') throw new Error(`alarm re-check of ${note.alarmName} failed: ${String(decision.reason)}`);
        },
        follow: async (job) => {
          const [{ followStep }, { openSdkWorker }] = await Promise.all([import('../app/follow.js'), import('../app/rollout-aws.js')]);
          const settings = config();
          const worker = openSdkWorker({});
          try {
            await followStep(
              job,
              settings,
              { ...worker, clock: systemClock },
              log,
              followSender(settings, process.env),
              context?.getRemainingTimeInMillis?.(),
            );
          } finally {
            worker.close();
          }
        },
      },
      log,
    );
  }
  const job = parseJob(event) ?? ecrJob(event);
  if (job === null) return { ok: false, reason: 'ECR event not acted on' };
  if (job === undefined) {
    log({ level: 'error', event: 'bad-job', message: 'the event is not a rollout job; ignored' });
    return { ok: false, reason: 'bad job' };
  }
  try {
    const settings = config();
    if (process.env[ENV.followQueue]) {
      await acceptPushJob(job, context?.getRemainingTimeInMillis?.());
      return { ok: true };
    }
    const [{ runJob }, { sdkRolloutPorts }] = await Promise.all([import('../app/webhook-job.js'), import('../app/rollout-aws.js')]);
    const result = await runJob(job, settings, { ...sdkRolloutPorts({}), clock: systemClock }, log, {
      timeoutSeconds: waitBudgetSeconds(context, settings.timeoutSeconds),
    });
    return { ok: result?.ok ?? true };
  } catch (error) {
    // Returning instead of throwing: Lambda would retry a thrown async event, repeating a rollout
    // that has already been rolled back.
    log({
      level: 'error',
      event: 'job-failed',
      job: job.image,
      message: error instanceof Error ? error.message : String(error),
      exitCode: isEcsRollError(error) ? error.exitCode : 1,
    });
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
