import { describe, expect, it } from 'vitest';
import { decideEcrEvent, isEcrImageAction } from '../../src/webhook/ecr-event.js';

const HOST = '123456789012.dkr.ecr.us-west-2.amazonaws.com';
const DIGEST = `sha256:${'7f'.repeat(32)}`;

/** The sample of https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html, with a full digest. */
function push(detail: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '13cde686-328b-6117-af20-0e5566167482',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2019-11-16T01:54:34Z',
    region: 'us-west-2',
    resources: [],
    detail: { result: 'SUCCESS', 'repository-name': 'acme/web', 'image-digest': DIGEST, 'action-type': 'PUSH', 'image-tag': '1.4.2', ...detail },
    ...top,
  };
}

const config = { repositories: [`${HOST}/acme/web`] };

describe('ECR Image Action events for the worker', () => {
  it('turns a successful push of an allowed repository into a job, timed by the event', () => {
    expect(decideEcrEvent(push(), config)).toEqual({
      kind: 'job',
      push: {
        image: `${HOST}/acme/web:1.4.2`,
        repository: `${HOST}/acme/web`,
        tag: '1.4.2',
        digest: DIGEST,
        pushedAt: Date.parse('2019-11-16T01:54:34Z') / 1000,
      },
    });
  });

  it.each([
    ['a DELETE', { 'action-type': 'DELETE' }, 'ignored'],
    ['a failed push', { result: 'FAILURE' }, 'ignored'],
    ['an untagged push', { 'image-tag': '' }, 'ignored'],
    ['a repository outside the allow-list', { 'repository-name': 'acme/other' }, 'refused'],
    ['a bad tag', { 'image-tag': '-x' }, 'refused'],
    ['a bad digest', { 'image-digest': 'sha256:abc' }, 'refused'],
    ['a bad repository name', { 'repository-name': 'Acme/Web' }, 'refused'],
  ])('%s is %s', (_, detail, kind) => {
    expect(decideEcrEvent(push(detail), config).kind).toBe(kind);
  });

  it.each([
    ['no time', { time: 'yesterday' }],
    ['a bad account', { account: 'acme' }],
    ['a bad region', { region: '../x' }],
  ])('refuses an event with %s', (_, top) => {
    expect(decideEcrEvent(push({}, top), config).kind).toBe('refused');
  });

  it('recognises only ECR Image Action events', () => {
    expect(isEcrImageAction(push())).toBe(true);
    expect(isEcrImageAction({ ...push(), 'detail-type': 'ECR Image Scan' })).toBe(false);
    expect(isEcrImageAction({ version: 1, kind: 'dockerhub-push' })).toBe(false);
  });
});
