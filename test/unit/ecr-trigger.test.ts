import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import {
  ecrEventPattern,
  ecrRepositoryNames,
  ecrRuleArn,
  ecrRuleName,
  installedSources,
  parseSources,
  withoutWebhookApi,
} from '../../src/core/ecr-trigger.js';
import type { InstallAction } from '../../src/core/install-plan.js';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('parseSources', () => {
  it.each([
    [['dockerhub'], ['dockerhub']],
    [['ecr'], ['ecr']],
    [
      ['ecr', 'dockerhub'],
      ['dockerhub', 'ecr'],
    ],
    [['ecr,dockerhub'], ['dockerhub', 'ecr']],
    [['ecr', 'ecr'], ['ecr']],
  ])('%j → %j', (given, wanted) => {
    expect(parseSources(given)).toEqual(wanted);
  });

  it.each([[['nope']], [['ecr', 'github']], [['']], [[]]])('refuses %j with a usage error', (given) => {
    expect(() => parseSources(given)).toThrow(UsageError);
  });

  it('reads back what install kept, and nothing from an unreadable value', () => {
    expect(installedSources({ ECS_ROLL_SOURCES: 'dockerhub,ecr' })).toEqual(['dockerhub', 'ecr']);
    expect(installedSources({ ECS_ROLL_SOURCES: 'bogus' })).toBeUndefined();
    expect(installedSources({})).toBeUndefined();
    expect(installedSources(undefined)).toBeUndefined();
  });
});

describe('the ECR rule', () => {
  it('is named and addressed for the install', () => {
    expect(ecrRuleName('prod')).toBe('prod-ecr-push');
    expect(ecrRuleArn({ partition: 'aws', region: 'eu-west-1', account: '123456789012' }, 'prod')).toBe(
      'arn:aws:events:eu-west-1:123456789012:rule/prod-ecr-push',
    );
  });

  it.each([
    [[`${HOST}/acme/app`], ['acme/app']],
    [
      [`${HOST}/acme/web`, `${HOST}/acme/app`, `${HOST}/acme/app`],
      ['acme/app', 'acme/web'],
    ],
    [['docker.io/acme/app'], []],
    [['123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/app'], []],
    [['ghcr.io/acme/app', `${HOST}/app`], ['app']],
  ])('filters the allow-list %j to the ECR repository names %j of the region', (repositories, names) => {
    expect(ecrRepositoryNames(repositories, 'eu-west-1')).toEqual(names);
  });

  it('matches successful pushes of the named repositories only', () => {
    expect(ecrEventPattern(['acme/app'])).toEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['acme/app'] },
    });
  });
});

describe('withoutWebhookApi', () => {
  it('drops the API and its permission, keeps everything else', () => {
    const actions: InstallAction[] = [
      { kind: 'create-rest-api', api: 'x', tags: {} },
      { kind: 'create-deployment', stage: 'live' } as InstallAction,
      { kind: 'add-permission', functionName: 'x-receiver', statementId: 'api', principal: 'apigateway.amazonaws.com', sourceArn: 'arn' },
      { kind: 'add-permission', functionName: 'x-worker', statementId: 'sns', principal: 'sns.amazonaws.com', sourceArn: 'arn' },
      { kind: 'put-concurrency', functionName: 'x-worker', reservedConcurrency: 1 } as InstallAction,
    ];
    expect(withoutWebhookApi(actions, 'api').map((action) => action.kind)).toEqual(['add-permission', 'put-concurrency']);
  });
});
