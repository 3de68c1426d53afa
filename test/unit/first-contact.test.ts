import { describe, expect, it } from 'vitest';
import { ExitCode, OperationFailedError, SetupError, UsageError } from '../../src/core/errors.js';
import { checkExpectedServices, describeScope } from '../../src/core/expectation.js';
import type { DeploymentSnapshot, ServiceSnapshot } from '../../src/core/model.js';
import { planRollout } from '../../src/core/plan.js';
import { checkSelectors, namesByCluster, parseServiceSelector, unmatchedSelectors } from '../../src/core/service-selector.js';
import { classifyFailure, errorDocument } from '../../src/cli/failure.js';
import { installedSettings, mergeInstallSettings } from '../../src/aws/install-settings.js';
import { parseRolloutOptions } from '../../src/cli/options.js';
import { ACCOUNT, aContainer, aDeployment, aRequest, aService, aTaskDefinition, anObservedState, taskDefinitionArnOf } from './builders.js';

/** A deployment as ECS reports it without rollout states (no rolloutState field at all). */
function withoutRolloutState(deployment: DeploymentSnapshot): DeploymentSnapshot {
  const { rolloutState: _absent, ...rest } = deployment;
  return rest;
}

describe('parseServiceSelector', () => {
  it.each([
    { text: 'web', expected: { service: 'web' } },
    { text: 'prod/web', expected: { cluster: 'prod', service: 'web' } },
    {
      text: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web',
      expected: { cluster: 'prod', service: 'web', region: 'eu-west-1', account: '123456789012' },
    },
    { text: 'arn:aws:ecs:eu-west-1:123456789012:service/web', expected: { service: 'web', region: 'eu-west-1', account: '123456789012' } },
  ])('$text means exactly $expected', ({ text, expected }) => {
    expect(parseServiceSelector(text)).toEqual({ text, ...expected });
  });

  it.each(['a/b/c', '/web', 'prod/', 'we b', 'arn:aws:ecs:eu-west-1:123:service/prod/web', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'])(
    'refuses %j with a usage error',
    (text) => {
      expect(() => parseServiceSelector(text)).toThrow(UsageError);
    },
  );

  it('sends bare names to every cluster in scope and qualified ones only to their cluster', () => {
    const selectors = ['web', 'staging/api', 'arn:aws:ecs:us-east-1:123456789012:service/prod/worker'].map(parseServiceSelector);
    expect(Object.fromEntries(namesByCluster(selectors, ['arn:aws:ecs:us-east-1:123456789012:cluster/prod', 'dev']))).toEqual({
      prod: ['web', 'worker'],
      dev: ['web'],
      staging: ['api'],
    });
  });

  it('refuses a cluster outside --cluster and an ARN of another region', () => {
    expect(() => checkSelectors([parseServiceSelector('staging/web')], ['prod'], 'us-east-1')).toThrow(/--cluster leaves out/);
    expect(() => checkSelectors([parseServiceSelector('arn:aws:ecs:eu-west-1:123456789012:service/prod/web')], [], 'us-east-1')).toThrow(
      /--region eu-west-1/,
    );
    expect(() => checkSelectors([parseServiceSelector('prod/web'), parseServiceSelector('web')], ['prod'], 'us-east-1')).not.toThrow();
  });

  it('counts prod/web as unmatched when only staging/web exists, and an ARN of another account too', () => {
    const staging = { clusterName: 'staging', serviceName: 'web', serviceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/staging/web` };
    expect(unmatchedSelectors([parseServiceSelector('prod/web')], [staging]).map((s) => s.text)).toEqual(['prod/web']);
    expect(unmatchedSelectors([parseServiceSelector('web')], [staging])).toEqual([]);
    expect(unmatchedSelectors([parseServiceSelector('arn:aws:ecs:us-east-1:999999999999:service/staging/web')], [staging])).toHaveLength(1);
  });
});

describe('planRollout on a re-run (already on the tag)', () => {
  const onTag = aTaskDefinition({ family: 'web', revision: 2, containers: [aContainer({ image: 'nginx:2' })] });
  const older = taskDefinitionArnOf('web', 1);
  const plan = (deployments: ServiceSnapshot['deployments']) =>
    planRollout(anObservedState([aService({ taskDefinitionArn: onTag.arn, deployments })], [onTag]), aRequest('nginx:2')).services[0];

  it.each([
    {
      case: 'its PRIMARY deployment is IN_PROGRESS',
      deployments: [aDeployment({ taskDefinitionArn: onTag.arn, rolloutState: 'IN_PROGRESS', runningCount: 1 })],
      reason: 'already on 2, deployment still in progress: waiting',
    },
    {
      case: 'its PRIMARY deployment FAILED',
      deployments: [aDeployment({ taskDefinitionArn: onTag.arn, rolloutState: 'FAILED' })],
      reason: 'already on 2, deployment failed: waiting',
    },
    {
      case: 'its PRIMARY runs another revision than its task definition',
      deployments: [aDeployment({ taskDefinitionArn: older, rolloutState: 'COMPLETED' })],
      reason: 'already on 2, but its deployment runs web:1: waiting',
    },
  ])('is wait when $case', ({ deployments, reason }) => {
    const planned = plan(deployments);
    expect(planned?.action).toBe('wait');
    expect(planned?.reason).toBe(reason);
    expect(planned?.deployment?.id).toBe(deployments[0]?.id);
  });

  it.each([
    { case: 'its PRIMARY deployment is COMPLETED', deployments: [aDeployment({ taskDefinitionArn: onTag.arn })] },
    {
      case: 'it has no rollout state but one deployment with every task running',
      deployments: [withoutRolloutState(aDeployment({ taskDefinitionArn: onTag.arn }))],
    },
  ])('is none when $case', ({ deployments }) => {
    expect(plan(deployments)?.action).toBe('none');
  });

  it('is redeploy with --force whatever the deployment', () => {
    const state = anObservedState(
      [aService({ taskDefinitionArn: onTag.arn, deployments: [aDeployment({ taskDefinitionArn: onTag.arn, rolloutState: 'IN_PROGRESS' })] })],
      [onTag],
    );
    expect(planRollout(state, aRequest('nginx:2', { force: true })).services[0]?.action).toBe('redeploy');
  });
});

describe('plan scope and --expect-services', () => {
  const web1 = aTaskDefinition({ family: 'web', revision: 1, containers: [aContainer({ image: 'nginx:1' })] });
  const state = {
    ...anObservedState([aService({ taskDefinitionArn: web1.arn })], [web1]),
    looked: { clusters: ['prod', 'dev'], region: 'us-east-1' },
  };

  it('names the account (from the ARNs), the region and what was looked at', () => {
    const plan = planRollout(state, aRequest('nginx:2'));
    expect(plan.scope).toEqual({ account: ACCOUNT, region: 'us-east-1', clusters: 2, services: 1 });
    expect(describeScope(plan)).toBe(`1 service in 2 clusters of account ${ACCOUNT} in us-east-1`);
  });

  it.each([
    { expectation: { exactly: 1 }, ok: true },
    { expectation: { exactly: 2 }, ok: false },
    { expectation: { atLeast: 1 }, ok: true },
    { expectation: undefined, ok: true },
  ])('with 1 matched service, $expectation passes: $ok', ({ expectation, ok }) => {
    const check = () => checkExpectedServices(planRollout(state, aRequest('nginx:2')), expectation);
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(OperationFailedError);
  });

  it('says where it looked when nothing matched', () => {
    const plan = planRollout(state, aRequest('acme/other:2'));
    expect(() => checkExpectedServices(plan, { atLeast: 1 })).toThrow(
      `expected at least 1 services running docker.io/acme/other, found 0 among 1 service in 2 clusters of account ${ACCOUNT} in us-east-1; nothing was changed`,
    );
  });
});

describe('rollout options', () => {
  it.each([
    { raw: { strategy: 'replace', wait: false }, error: /--no-wait/ },
    { raw: { expectServices: 'two' }, error: /--expect-services must be a whole number/ },
    { raw: { expectServices: '-1' }, error: /--expect-services/ },
    { raw: { expectServices: '1', requireMatch: true }, error: /not both/ },
  ])('refuses $raw', ({ raw, error }) => {
    expect(() => parseRolloutOptions('nginx:2', raw, {})).toThrow(error);
  });

  it('reads --expect-services and --require-match', () => {
    expect(parseRolloutOptions('nginx:2', { expectServices: '3' }, {}).expectServices).toEqual({ exactly: 3 });
    expect(parseRolloutOptions('nginx:2', { requireMatch: true }, {}).expectServices).toEqual({ atLeast: 1 });
  });

  it.each([
    { env: { AWS_DEFAULT_REGION: 'eu-west-1' }, raw: {}, region: 'eu-west-1' },
    { env: { AWS_DEFAULT_REGION: 'eu-west-1', AWS_REGION: 'us-east-2' }, raw: {}, region: undefined },
    { env: { AWS_DEFAULT_REGION: 'eu-west-1' }, raw: { region: 'ap-south-1' }, region: 'ap-south-1' },
  ])('takes the region as the AWS CLI does: $env $raw → $region', ({ env, raw, region }) => {
    expect(parseRolloutOptions('nginx:2', raw, env).aws.region).toBe(region);
  });
});

describe('classifyFailure', () => {
  const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
  it.each([
    { error: new Error('Region is missing'), exitCode: ExitCode.setup, code: 'no-region' },
    {
      error: Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      exitCode: ExitCode.setup,
      code: 'no-credentials',
    },
    { error: errno('ECONNREFUSED'), exitCode: ExitCode.setup, code: 'aws-unreachable' },
    { error: errno('EADDRINUSE'), exitCode: ExitCode.setup, code: 'port-in-use' },
    { error: new SetupError('x'), exitCode: 3, code: 'setup' },
    { error: new UsageError('x'), exitCode: 2, code: 'usage' },
    { error: new OperationFailedError('x'), exitCode: 1, code: 'failed' },
    { error: new Error('anything else'), exitCode: 1, code: 'failed' },
  ])('$error.message → exit $exitCode ($code)', ({ error, exitCode, code }) => {
    const failure = classifyFailure(error);
    expect(failure).toMatchObject({ exitCode, code });
    expect(errorDocument(failure)).toEqual({ kind: 'error', version: 1, exitCode, error: { code, message: failure.message } });
  });
});

describe('install settings on a re-run', () => {
  const installed = installedSettings({
    ECS_ROLL_REPOS: 'docker.io/acme/web',
    ECS_ROLL_POLICY: 'semver',
    ECS_ROLL_CLUSTERS: '',
    ECS_ROLL_STRATEGY: 'replace',
    ECS_ROLL_TIMEOUT: '600',
  });

  it('reads the installed settings back from the environment', () => {
    expect(installed).toEqual({
      repositories: ['docker.io/acme/web'],
      clusters: [],
      policy: { kind: 'semver' },
      strategy: 'replace',
      timeoutSeconds: 600,
    });
  });

  it.each([
    { given: { repositories: ['docker.io/acme/web'] }, changes: [] },
    { given: { repositories: ['docker.io/acme/api'] }, changes: [{ setting: 'repositories', from: 'docker.io/acme/web', to: 'docker.io/acme/api' }] },
    {
      given: { repositories: ['docker.io/acme/web'], policy: { kind: 'any' } as const },
      changes: [{ setting: 'policy', from: 'semver', to: 'any' }],
    },
    { given: { repositories: ['docker.io/acme/web'], clusters: ['prod'] }, changes: [{ setting: 'clusters', from: '(all)', to: 'prod' }] },
  ])('given $given, changes $changes and keeps the rest', ({ given, changes }) => {
    const merged = mergeInstallSettings(given, installed);
    expect(merged.changes).toEqual(changes);
    expect(merged.settings.strategy).toBe('replace');
    expect(merged.settings.timeoutSeconds).toBe(600);
  });

  it('a first install takes the defaults, each shown as new', () => {
    const merged = mergeInstallSettings({ repositories: ['docker.io/acme/web'] }, installedSettings(undefined));
    expect(merged.settings).toEqual({
      repositories: ['docker.io/acme/web'],
      clusters: [],
      policy: { kind: 'any' },
      strategy: 'rolling',
      timeoutSeconds: 3600,
    });
    expect(merged.changes.every((change) => change.from === undefined)).toBe(true);
  });
});
