// Least privilege: `ecs-roll rollout` under an IAM user that has exactly the README's policy.
//
// moto enforces IAM when started with INITIAL_NO_AUTH_ACTION_COUNT: after that many API calls every
// call must be signed with an access key of an IAM user whose policies allow the action. The shared
// sandbox runs without it and startSandbox() has no option to set it, so this file starts its own
// sandbox.py with the variable set to 3: the first three calls (unsigned for IAM purposes) create an
// admin user, its policy and its key; everything after is checked.
//
// What moto checks for ECS, measured here (moto 5.2.1): the action ("ecs:UpdateService") but not the
// resource: ECS requests are authorised against the resource "*", so a statement that names ARNs
// (the README's "Deploy" statement: arn:aws:ecs:*:ACCOUNT:service/*) never matches in moto, though it
// does in AWS. The tests below state that limitation as an assertion, then check the action list with
// the Deploy statement widened to "*", which is what moto can check. Conditions (iam:PassRole's
// iam:PassedToService) are not exercised: moto's ECS does not call iam:PassRole on registration.
// A second moto limitation: it answers a refused ECS call with an XML <ErrorResponse> (HTTP 403), not
// ECS's JSON AccessDeniedException, so the SDK (and ecs-roll's message) reports a deserialisation
// error instead of "AccessDenied". The tests read the raw 403 answer to show the refusal is AccessDenied.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeServicesCommand, ECSClient, ListClustersCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container, createCluster, createService, imagesOf, REGION, registerTaskDefinition, runCli } from './helpers.js';

const SANDBOX = fileURLToPath(new URL('../sandbox/sandbox.py', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const ACCOUNT = '123456789012'; // moto's default account
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}
interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

let child: ChildProcessWithoutNullStreams;
let endpoint = '';
let admin: Keys;
let ecs: ECSClient;
let readmePolicy: Policy;

/** The JSON block under "## IAM permissions for `rollout`", with ACCOUNT filled in. */
async function policyFromReadme(): Promise<Policy> {
  const text = await readFile(README, 'utf8');
  const section = text.slice(text.indexOf('## IAM permissions for `rollout`'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  expect(block, 'README has the rollout policy').toBeDefined();
  return JSON.parse((block ?? '').replaceAll('ACCOUNT', ACCOUNT)) as Policy;
}

async function startAuthSandbox(): Promise<string> {
  child = spawn('python3', [SANDBOX, '--port', '0', '--tick', '0.05'], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '3' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-8000)));
  child.stdout.setEncoding('utf8');
  const [line] = (await Promise.race([
    once(child.stdout, 'data'),
    // As generous as global-setup.ts: on a busy machine moto's import alone can take longer than 20 s.
    new Promise((_, reject) => setTimeout(() => reject(new Error(`sandbox did not start: ${stderr}`)), 120_000)),
  ])) as [string];
  child.stdout.resume();
  return (JSON.parse(line.split('\n')[0] ?? '{}') as { endpoint: string }).endpoint;
}

const iamAs = (keys: Keys) => new IAMClient({ endpoint, region: REGION, credentials: keys });

async function createUser(as: Keys, name: string, policy: Policy): Promise<Keys> {
  const iam = iamAs(as);
  await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'ecs-roll-rollout', PolicyDocument: JSON.stringify(policy) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
  return { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' };
}

const rolloutAs = (keys: Keys, tag: string) =>
  runCli(['rollout', `acme/web:${tag}`, '--endpoint-url', endpoint, '--poll-interval', '0.2', '--timeout', '30', '--no-color'], {
    env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
    timeoutMs: 60_000,
  });

async function serviceImage(): Promise<string | undefined> {
  const answer = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
  return (await imagesOf(ecs, answer.services?.[0]?.taskDefinition ?? '')).web;
}

/** One ECS call with `keys`, answered raw: moto's refusals are XML that the SDK cannot parse. */
async function rawEcs(keys: Keys, command: ListClustersCommand | UpdateServiceCommand): Promise<{ status: number; body: string }> {
  const client = new ECSClient({ endpoint, region: REGION, credentials: keys, maxAttempts: 1 });
  let raw = { status: 0, body: '' };
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { statusCode: number; body: AsyncIterable<Uint8Array> | Uint8Array };
      const chunks: Uint8Array[] = [];
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) chunks.push(chunk);
      raw = { status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') };
      response.body = Buffer.concat(chunks);
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'captureRawAnswer' },
  );
  try {
    await client.send(command as UpdateServiceCommand);
  } catch {
    // the raw answer is what counts
  }
  return raw;
}

const updateWeb = () => new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 2 });

/** The README policy with the Deploy statement's resources widened to "*": the most moto can evaluate. */
function actionLevel(policy: Policy, without: string[] = []): Policy {
  return {
    ...policy,
    Statement: policy.Statement.map((statement) => ({
      ...statement,
      Resource: statement.Sid === 'Deploy' ? '*' : statement.Resource,
      Action: (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter((action) => !without.includes(action)),
    })),
  };
}

beforeAll(async () => {
  readmePolicy = await policyFromReadme();
  endpoint = await startAuthSandbox();
  // The three calls moto lets through unchecked: an admin with a key, who does the rest signed.
  const bootstrap = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  admin = await createUser(bootstrap, 'admin', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  ecs = new ECSClient({ endpoint, region: REGION, credentials: admin });
  await createCluster(ecs, 'prod');
  await createService(ecs, 'prod', 'web', await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]), { desiredCount: 2 });
}, 60_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.stdin.end();
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

describe('IAM enforcement in this sandbox', () => {
  it('is on: unknown keys are refused', async () => {
    const run = await rolloutAs({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }, '1.1');
    expect(run.code).not.toBe(0);
    expect(await serviceImage()).toBe('acme/web:1.0');
    const raw = await rawEcs({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' }, new ListClustersCommand({}));
    expect(raw.status).toBe(403);
    expect(raw.body).toContain('<Code>InvalidClientTokenId</Code>');
    expect((await rawEcs(admin, new ListClustersCommand({}))).status).toBe(200);
  });
});

describe('ecs-roll rollout under the README policy', () => {
  it('is refused UpdateService with the Deploy statement\'s service ARNs: moto authorises ECS against the resource "*" (a moto limitation, not AWS\'s behaviour)', async () => {
    const keys = await createUser(admin, 'deployer-readme', readmePolicy);
    const run = await rolloutAs(keys, '1.1');
    const output = `${run.stdout}${run.stderr}`;
    expect(run.code).toBe(1);
    // Discovery and registration (granted on "*") went through; the call refused is UpdateService.
    expect(output).toMatch(/registered web:2 from web:1/);
    expect(output).toMatch(/FAILED prod\/web: UpdateService failed/);
    expect(await serviceImage()).toBe('acme/web:1.0');
    const raw = await rawEcs(keys, updateWeb());
    expect(raw.status).toBe(403);
    expect(raw.body).toContain('<Code>AccessDenied</Code>');
    expect(raw.body).toContain('user/deployer-readme is not authorized to perform: ecs:UpdateService');
    expect((await rawEcs(keys, new ListClustersCommand({}))).status).toBe(200);
  });

  it('succeeds with exactly its actions (Deploy widened to "*", the most moto can check), and waits to the end', async () => {
    const keys = await createUser(admin, 'deployer-actions', actionLevel(readmePolicy));
    const run = await rolloutAs(keys, '1.1');
    expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/failed/i);
    expect(await serviceImage()).toBe('acme/web:1.1');
    expect((await rawEcs(keys, updateWeb())).status).toBe(200);
  });

  it('fails (AccessDenied, answered by moto as XML) without ecs:UpdateService, and leaves the service where it was', async () => {
    const keys = await createUser(admin, 'deployer-no-update', actionLevel(readmePolicy, ['ecs:UpdateService']));
    const run = await rolloutAs(keys, '1.2');
    const output = `${run.stdout}${run.stderr}`;
    expect(run.code).toBe(1);
    expect(output).toMatch(/FAILED prod\/web: UpdateService failed/);
    expect(await serviceImage()).toBe('acme/web:1.1');
    const raw = await rawEcs(keys, updateWeb());
    expect(raw.status).toBe(403);
    expect(raw.body).toContain('<Code>AccessDenied</Code>');
    expect(raw.body).toContain('user/deployer-no-update is not authorized to perform: ecs:UpdateService');
    // The same user may still do everything else the rollout did.
    expect((await rawEcs(keys, new ListClustersCommand({}))).status).toBe(200);
  });
});
