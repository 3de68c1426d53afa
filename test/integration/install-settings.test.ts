// Running `install` again keeps every setting it is not given (read back from the functions'
// environment) and shows each one it changes as old → new, in --dry-run and in the real run; and says what it
// found amiss while reading.
import { APIGatewayClient, CreateRestApiCommand } from '@aws-sdk/client-api-gateway';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition, runCli } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
let lambda: LambdaClient;

const install = (...args: string[]) => runCli(['install', ...args, '--endpoint-url', endpoint]);

async function env(name: string): Promise<Record<string, string>> {
  const answer = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  return answer.Configuration?.Environment?.Variables ?? {};
}

interface Report {
  kind: string;
  version: number;
  settings: { repositories: string[]; clusters: string[]; policy: string; strategy: string; timeoutSeconds: number };
  settingChanges: { setting: string; from?: string; to: string }[];
}

beforeAll(() => {
  lambda = new LambdaClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});

beforeEach(async () => {
  await sandbox.reset();
  const ecs = ecsClient(endpoint);
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]));
});

describe('install run again', () => {
  it('keeps the settings it is not given, and shows each change old → new', async () => {
    const first = await install(
      '--repo',
      'acme/web',
      '--policy',
      'semver',
      '--strategy',
      'replace',
      '--timeout',
      '600',
      '--cluster',
      'prod',
      '--json',
    );
    expect(first.code).toBe(0);
    const created = JSON.parse(first.stdout) as Report;
    expect(created).toMatchObject({ kind: 'install', version: 1 });
    expect(created.settingChanges.map((change) => [change.setting, change.from, change.to])).toEqual([
      ['repositories', undefined, 'docker.io/acme/web'],
      ['clusters', undefined, 'prod'],
      ['policy', undefined, 'semver'],
      ['strategy', undefined, 'replace'],
      ['timeoutSeconds', undefined, '600'],
    ]);

    // Only --repo given again: semver, replace, 600 s and the cluster stay.
    const dry = await install('--repo', 'acme/web', '--repo', 'acme/api', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('~ repositories: docker.io/acme/web → docker.io/acme/web,docker.io/acme/api');
    expect(dry.stdout).not.toMatch(/~ (policy|strategy|clusters|timeout)/);
    expect(await env('ecs-roll-worker')).toMatchObject({ ECS_ROLL_REPOS: 'docker.io/acme/web' });

    const again = await install('--repo', 'acme/web', '--repo', 'acme/api', '--json');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as Report;
    expect(report.settingChanges).toEqual([{ setting: 'repositories', from: 'docker.io/acme/web', to: 'docker.io/acme/web,docker.io/acme/api' }]);
    expect(report.settings).toEqual({
      repositories: ['docker.io/acme/web', 'docker.io/acme/api'],
      clusters: ['prod'],
      policy: 'semver',
      strategy: 'replace',
      timeoutSeconds: 600,
      notify: [],
    });
    for (const name of ['ecs-roll-worker', 'ecs-roll-receiver']) {
      expect(await env(name)).toMatchObject({
        ECS_ROLL_REPOS: 'docker.io/acme/web,docker.io/acme/api',
        ECS_ROLL_POLICY: 'semver',
        ECS_ROLL_STRATEGY: 'replace',
        ECS_ROLL_TIMEOUT: '600',
        ECS_ROLL_CLUSTERS: 'prod',
      });
    }

    // A setting given again changes, and says so, in the real run too.
    const loosened = await install('--repo', 'acme/web', '--repo', 'acme/api', '--policy', 'any');
    expect(loosened.code).toBe(0);
    expect(loosened.stdout).toContain('~ policy: semver → any');
    expect(loosened.stdout).not.toMatch(/~ (repositories|strategy|clusters|timeout)/);
    expect(await env('ecs-roll-worker')).toMatchObject({ ECS_ROLL_POLICY: 'any', ECS_ROLL_STRATEGY: 'replace' });
  });

  it('says on stderr what reading found amiss, as --json carries it: two REST APIs tagged for one install', async () => {
    expect((await install('--repo', 'acme/web')).code).toBe(0);
    const apigw = new APIGatewayClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await apigw.send(new CreateRestApiCommand({ name: 'ecs-roll', tags: { 'ecs-roll:install': 'ecs-roll' } }));
    apigw.destroy();
    const dry = await install('--repo', 'acme/web', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/! 2 REST APIs are named ecs-roll and tagged for this install; using \w+/);
    const json = await install('--repo', 'acme/web', '--dry-run', '--json');
    expect((JSON.parse(json.stdout) as { warnings: string[] }).warnings).toEqual([expect.stringMatching(/^2 REST APIs are named ecs-roll/)]);
  });
});
