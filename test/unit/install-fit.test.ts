import { describe, expect, it } from 'vitest';
import { splitEnvironment } from '../../src/core/install-environment.js';
import { IAM_MANAGED_POLICIES_PER_ROLE, IAM_MANAGED_POLICY_MAX_CHARS, splitPolicy } from '../../src/core/install-iam-split.js';
import {
  installNames,
  installPolicyDocument,
  planInstall,
  type DesiredInstall,
  type ObservedInstall,
  type PolicyDocument,
} from '../../src/core/install-plan.js';
import { desiredInstall } from '../../src/core/install-desired.js';
import { UsageError } from '../../src/core/errors.js';
import { policySize } from '../../src/core/install-limits.js';
import { repositoriesDigest, settingsEnvironment, settingsFileText } from '../../src/webhook/settings-file.js';

const names = installNames('hooks');
const at = { region: 'eu-west-1', account: '111122223333' };
const clusters = (count: number) => Array.from({ length: count }, (_, index) => `cluster-with-a-rather-long-name-${index}`);
const policyFor = (count: number) => installPolicyDocument({ ...at, names, clusters: clusters(count), passRoleArns: [] });
const statements = (document: PolicyDocument) =>
  document.Statement.flatMap((statement) =>
    (typeof statement.Resource === 'string' ? [statement.Resource] : [...statement.Resource]).map(
      (resource) => `${[statement.Action].flat().join(',')} ${resource}`,
    ),
  );

describe('splitPolicy', () => {
  it('keeps a document that fits inline as it is', () => {
    const document = policyFor(3);
    expect(splitPolicy(document)).toEqual({ inline: document, managed: [] });
  });

  it.each([45, 60, 150])('fits %i clusters into the inline policy and managed policies, losing no permission', (count) => {
    const document = policyFor(count);
    const split = splitPolicy(document);
    expect(policySize(split.inline)).toBeLessThanOrEqual(10_240);
    expect(split.managed.length).toBeGreaterThan(0);
    for (const part of split.managed) expect(policySize(part)).toBeLessThanOrEqual(IAM_MANAGED_POLICY_MAX_CHARS);
    const after = [split.inline, ...split.managed].flatMap(statements).sort();
    expect(after).toEqual(statements(document).sort());
    const sids = [split.inline, ...split.managed].flatMap((part) => part.Statement.map((statement) => statement.Sid));
    expect(new Set(sids).size).toBe(sids.length);
  });

  it('refuses, clearly, what more than 10 managed policies could not hold', () => {
    expect(() => splitPolicy(policyFor(400))).toThrow(UsageError);
    expect(() => splitPolicy(policyFor(400))).toThrow(new RegExp(`${IAM_MANAGED_POLICIES_PER_ROLE} managed policies of 6144.*nothing was changed`));
  });
});

describe('managed policies in the plan', () => {
  const input = {
    ...at,
    names,
    stage: 'live',
    handlers: { receiver: 'handler.receive', worker: 'handler.work' },
    runtime: 'nodejs22.x',
    codeSha256: 'x',
    environment: {},
    repositories: ['docker.io/acme/web'],
    passRoles: [],
    runBefore: { scope: { families: [], logGroups: [] }, enabled: false },
  };
  const kinds = (desired: DesiredInstall, observed: ObservedInstall) => planInstall(desired, observed).map((action) => action.kind);

  it('creates and attaches them before the inline policy is put, under the install path', () => {
    const desired = desiredInstall({ ...input, clusters: clusters(60) });
    expect(desired.managedPolicies?.[0]).toMatchObject({
      name: 'hooks-policy-1',
      path: '/ecs-roll/hooks/',
      arn: 'arn:aws:iam::111122223333:policy/ecs-roll/hooks/hooks-policy-1',
    });
    const planned = kinds(desired, { functions: {}, logGroups: {} });
    expect(planned.indexOf('attach-role-policy')).toBeGreaterThan(planned.indexOf('create-role'));
    expect(planned.indexOf('attach-role-policy')).toBeLessThan(planned.indexOf('put-role-policy'));
  });

  it('detaches and deletes those no longer needed, after the inline policy', () => {
    const desired = desiredInstall({ ...input, clusters: [] });
    const observed: ObservedInstall = {
      functions: {},
      logGroups: {},
      managedPolicies: [
        { name: 'hooks-policy-1', arn: 'arn:aws:iam::111122223333:policy/ecs-roll/hooks/hooks-policy-1', attached: true, document: {} },
      ],
    };
    const planned = kinds(desired, observed);
    expect(planned.slice(planned.indexOf('put-role-policy'), planned.indexOf('put-role-policy') + 3)).toEqual([
      'put-role-policy',
      'detach-role-policy',
      'delete-managed-policy',
    ]);
  });
});

describe('the settings file', () => {
  it('takes the allow-list out of an environment past the budget, and only then', () => {
    const small = { ECS_ROLL_REPOS: 'docker.io/acme/web', ECS_ROLL_POLICY: 'any' };
    expect(splitEnvironment(small, ['ECS_ROLL_REPOS'])).toEqual({ environment: small, overflow: {} });
    const repos = Array.from({ length: 1000 }, (_, index) => `docker.io/acme/service-${index}`).join(',');
    const split = splitEnvironment({ ...small, ECS_ROLL_REPOS: repos }, ['ECS_ROLL_REPOS']);
    expect(split).toEqual({ environment: { ECS_ROLL_POLICY: 'any' }, overflow: { ECS_ROLL_REPOS: repos } });
  });

  it('is read once and seen as environment variables, the environment winning', () => {
    let reads = 0;
    const read = () => {
      reads += 1;
      return settingsFileText({ ECS_ROLL_REPOS: 'docker.io/acme/web', ECS_ROLL_POLICY: 'semver' });
    };
    const env = { ECS_ROLL_SETTINGS_FILE: 'unit-settings.json', ECS_ROLL_POLICY: 'any' };
    expect(settingsEnvironment(env, read)).toMatchObject({ ECS_ROLL_REPOS: 'docker.io/acme/web', ECS_ROLL_POLICY: 'any' });
    settingsEnvironment(env, read);
    expect(reads).toBe(1);
    expect(settingsEnvironment({ ECS_ROLL_POLICY: 'any' }, read)).toEqual({ ECS_ROLL_POLICY: 'any' });
    expect(() => settingsEnvironment({ ECS_ROLL_SETTINGS_FILE: 'other.json' }, () => '{"version":9}')).toThrow(/not an ecs-roll settings file/);
  });

  it('names the allow-list by count and digest', () => {
    expect(repositoriesDigest(['a', 'b'])).toMatch(/^2:[0-9a-f]{16}$/);
    expect(repositoriesDigest(['a', 'b'])).not.toBe(repositoriesDigest(['b', 'a']));
  });
});
