import { tryParseImageReference, TAG_PATTERN } from '../core/image-ref.js';
import { isSha256Digest } from '../core/registry.js';
import type { WebhookConfig } from './config.js';

/**
 * ECR's "ECR Image Action" event, as EventBridge delivers it to the worker for a completed push:
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 * The event names the repository, tag and digest; the repository URI is rebuilt from the event's
 * account and region, and the event's time is the push time that orders pushes.
 */
export interface EcrPush {
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>`, the image the worker rolls out. */
  readonly image: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  /** Epoch seconds. */
  readonly pushedAt: number;
}

export type EcrEventDecision =
  | { readonly kind: 'job'; readonly push: EcrPush }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isEcrImageAction(event: unknown): boolean {
  return isRecord(event) && event.source === 'aws.ecr' && event['detail-type'] === 'ECR Image Action';
}

function registryHost(account: string, region: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${suffix}`;
}

/** What the worker does with one ECR event: a job, an ignored action (not a successful push), or a refusal. */
export function decideEcrEvent(event: unknown, config: Pick<WebhookConfig, 'repositories'>): EcrEventDecision {
  if (!isRecord(event) || !isEcrImageAction(event) || !isRecord(event.detail)) return { kind: 'refused', reason: 'not an ECR Image Action event' };
  const detail = event.detail;
  if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') {
    return { kind: 'ignored', reason: `action ${String(detail['action-type'])} with result ${String(detail.result)} is not a successful push` };
  }
  const { account, region, time } = event;
  const name = detail['repository-name'];
  const tag = detail['image-tag'];
  const digest = detail['image-digest'];
  if (typeof account !== 'string' || !ACCOUNT.test(account) || typeof region !== 'string' || !REGION.test(region)) {
    return { kind: 'refused', reason: 'the event has no valid account and region' };
  }
  if (typeof tag !== 'string' || tag === '') return { kind: 'ignored', reason: 'an untagged push names no version to roll out' };
  if (!TAG_PATTERN.test(tag)) return { kind: 'refused', reason: `image-tag ${JSON.stringify(tag)} is not a valid tag` };
  if (!isSha256Digest(typeof digest === 'string' ? digest : undefined)) return { kind: 'refused', reason: 'image-digest is not a sha256 digest' };
  const pushedAtMs = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(pushedAtMs)) return { kind: 'refused', reason: 'the event has no valid time' };
  const reference = typeof name === 'string' ? tryParseImageReference(`${registryHost(account, region)}/${name}:${tag}`) : undefined;
  if (reference === undefined || reference.tag !== tag) return { kind: 'refused', reason: 'repository-name is not a valid repository' };
  if (!config.repositories.includes(reference.repository)) {
    return { kind: 'refused', reason: `${reference.repository} is not in the install's allow-list` };
  }
  return {
    kind: 'job',
    push: { image: reference.original, repository: reference.repository, tag, digest: digest as string, pushedAt: pushedAtMs / 1000 },
  };
}
