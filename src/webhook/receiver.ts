import { createHash, timingSafeEqual } from 'node:crypto';
import { TAG_PATTERN, tryParseImageReference } from '../core/image-ref.js';
import { policyRejectsTag } from '../core/update-policy.js';
import { MAX_CLOCK_SKEW_SECONDS } from '../core/push-order.js';
import type { WebhookConfig } from './config.js';

/** Docker Hub's payloads are a few KiB; anything near this is not from Docker Hub. */
export const MAX_BODY_BYTES = 64 * 1024;
export const JOB_VERSION = 1;

/** What the receiver hands the worker: everything the rollout needs, nothing from the body it does not need. */
export interface RolloutJob {
  readonly version: typeof JOB_VERSION;
  readonly kind: 'dockerhub-push';
  /** `acme/web:1.4.2`, rebuilt from validated parts. */
  readonly image: string;
  readonly repository: string;
  readonly tag: string;
  /** Epoch seconds from push_data.pushed_at. */
  readonly pushedAt: number;
}

export interface WebhookRequest {
  readonly method: string;
  /**
   * The request path without query string. Anything before `/hooks/dockerhub/<token>` (an API Gateway
   * stage, a custom domain's base path) is allowed: only the last two segments and the token route.
   */
  readonly path: string;
  /** The raw body; undefined when it was larger than MAX_BODY_BYTES and not read. */
  readonly body: Buffer | undefined;
  readonly bodyTooLarge?: boolean;
}

export interface WebhookResponse {
  readonly status: number;
  /** False when the path did not carry the token: the caller logs such requests rate-limited. */
  readonly authenticated: boolean;
  readonly body: Readonly<Record<string, unknown>>;
  /** Present only on 202: the rollout to run. */
  readonly job?: RolloutJob;
  /** Present only when the install's policy ignores the push: what people are told about it. */
  readonly ignored?: { readonly image: string; readonly pushedAt: number; readonly reason: string };
}

/** Up to four leading segments (stage, base path) before the route; the token is the last segment. */
const ROUTE = /^(?:\/[^/]+){0,4}\/hooks\/dockerhub\/([^/]+)\/?$/;
/** Docker Hub repository names: a namespace and a name, lower-case, the path grammar Docker uses. */
const REPO_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const REPO_NAME_MAX = 255;
/** Pushes from before Docker Hub existed or far in the future are not real. */
const EARLIEST_PUSH = 1_262_304_000; // 2010-01-01
const LATEST_PUSH = 4_102_444_800; // 2100-01-01

const notFound = (): WebhookResponse => ({ status: 404, authenticated: false, body: { error: 'not found' } });
const badRequest = (error: string): WebhookResponse => ({ status: 400, authenticated: true, body: { error } });

/** Compares digests, not tokens, so both sides always have the same length and the time says nothing. */
export function tokenMatches(candidate: string, expectedSha256: string): boolean {
  const actual = createHash('sha256').update(candidate, 'utf8').digest();
  const expected = Buffer.from(expectedSha256, 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The part of the decision that needs no body: a wrong token (404) or method (405), or undefined when
 * the body is worth reading. `serve` calls it before it reads a byte of the body.
 */
export function refuseBeforeBody(method: string, path: string, config: WebhookConfig): WebhookResponse | undefined {
  const route = ROUTE.exec(path);
  const token = route?.[1];
  if (token === undefined || !tokenMatches(token, config.tokenSha256)) return notFound();
  if (method !== 'POST') return { status: 405, authenticated: true, body: { error: 'method not allowed; use POST' } };
  return undefined;
}

/**
 * Decides what to answer a webhook call, without side effects: the caller sends the answer and,
 * on 202, hands the job to a worker. Unauthenticated calls learn nothing: a wrong token is a 404.
 * Nothing taken from the body is ever used as a URL (Docker Hub's callback_url is ignored).
 * `nowSeconds` is the receiver's clock: a push time further ahead than the allowed skew is refused,
 * since it would outrank every later push.
 */
export function receiveWebhook(request: WebhookRequest, config: WebhookConfig, nowSeconds: number = Date.now() / 1000): WebhookResponse {
  const refused = refuseBeforeBody(request.method, request.path, config);
  if (refused !== undefined) return refused;
  if (request.bodyTooLarge === true || request.body === undefined || request.body.length > MAX_BODY_BYTES) {
    return { status: 413, authenticated: true, body: { error: `body larger than ${MAX_BODY_BYTES} bytes` } };
  }

  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(request.body));
  } catch {
    return badRequest('body is not valid UTF-8 JSON');
  }
  if (!isRecord(payload)) return badRequest('body must be a JSON object');
  const { repository, push_data: pushData } = payload;
  if (!isRecord(repository) || !isRecord(pushData)) return badRequest('repository and push_data must be objects');

  const repoName = repository.repo_name;
  if (typeof repoName !== 'string' || repoName.length > REPO_NAME_MAX || !REPO_NAME.test(repoName)) {
    return badRequest('repository.repo_name must be a repository name like namespace/name');
  }
  const tag = pushData.tag;
  if (typeof tag !== 'string' || !TAG_PATTERN.test(tag)) {
    return badRequest('push_data.tag must be a Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})');
  }
  const pushedAt = pushData.pushed_at;
  if (typeof pushedAt !== 'number' || !Number.isFinite(pushedAt) || pushedAt < EARLIEST_PUSH || pushedAt > LATEST_PUSH) {
    return badRequest('push_data.pushed_at must be a Unix time in seconds');
  }
  if (pushedAt > nowSeconds + MAX_CLOCK_SKEW_SECONDS) {
    return badRequest(`push_data.pushed_at is more than ${MAX_CLOCK_SKEW_SECONDS} s ahead of this receiver's clock`);
  }

  const reference = tryParseImageReference(`${repoName}:${tag}`);
  if (reference === undefined) return badRequest('repository.repo_name and push_data.tag do not form an image reference');
  if (!config.repositories.includes(reference.repository)) {
    return { status: 403, authenticated: true, body: { error: "repository is not in this install's allow-list" } };
  }
  const ignored = policyRejectsTag(config.policy, tag);
  if (ignored !== undefined) {
    return {
      status: 200,
      authenticated: true,
      body: { status: 'ignored', reason: ignored },
      ignored: { image: `${repoName}:${tag}`, pushedAt: Math.floor(pushedAt), reason: ignored },
    };
  }

  const job: RolloutJob = {
    version: JOB_VERSION,
    kind: 'dockerhub-push',
    image: `${repoName}:${tag}`,
    repository: reference.repository,
    tag,
    pushedAt: Math.floor(pushedAt),
  };
  return { status: 202, authenticated: true, body: { status: 'accepted', image: job.image }, job };
}

/**
 * The push's identity for SQS FIFO deduplication (at most 128 characters): a delivery of the same push
 * again within 5 minutes is dropped by SQS; later ones find the push time recorded on the revisions.
 */
export function pushDeduplicationId(job: RolloutJob): string {
  return createHash('sha256').update(`${job.image}\u0000${job.pushedAt}`, 'utf8').digest('hex');
}

/** Validates a job handed to a worker: async events can come from anything allowed to invoke it. */
export function parseJob(value: unknown): RolloutJob | undefined {
  if (!isRecord(value) || value.version !== JOB_VERSION || value.kind !== 'dockerhub-push') return undefined;
  const { image, tag, pushedAt } = value;
  if (typeof image !== 'string' || typeof tag !== 'string' || typeof pushedAt !== 'number' || !Number.isFinite(pushedAt)) return undefined;
  const reference = tryParseImageReference(image);
  if (reference === undefined || reference.tag !== tag || reference.digest !== undefined) return undefined;
  return { version: JOB_VERSION, kind: 'dockerhub-push', image, repository: reference.repository, tag, pushedAt };
}
