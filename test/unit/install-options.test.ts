import { describe, expect, it } from 'vitest';
import { parseInstallOptions, parseUninstallOptions } from '../../src/cli/install-options.js';
import type { RawInstallOptions } from '../../src/cli/raw-options.js';
import { UsageError } from '../../src/core/errors.js';

// --timeout on install is the follow deadline of a push (default 60 minutes, up to 24 hours), not the
// Lambda function's Timeout, so it may exceed Lambda's 900 s.
describe('install --timeout', () => {
  const cases: { given: string; expected?: number; refused?: RegExp }[] = [
    { given: '3600', expected: 3600 },
    { given: '7200', expected: 7200 },
    { given: '86400', expected: 86400 },
    { given: '86401', refused: /at most 86400 s/ },
    { given: '0', refused: /--timeout/ },
    { given: 'soon', refused: /--timeout/ },
  ];
  for (const { given, expected, refused } of cases) {
    it(`--timeout ${given}`, () => {
      const parse = () => parseInstallOptions({ repo: ['acme/web'], timeout: given }, {});
      if (refused) {
        expect(parse).toThrow(UsageError);
        expect(parse).toThrow(refused);
      } else {
        expect(parse().timeoutSeconds).toBe(expected);
      }
    });
  }
  it('left out, the install keeps what it has (or a first install takes the default)', () => {
    expect(parseInstallOptions({ repo: ['acme/web'] }, {}).timeoutSeconds).toBeUndefined();
  });
});

describe('install options', () => {
  const refused: { name: string; raw: RawInstallOptions; message: RegExp }[] = [
    { name: 'no --repo', raw: {}, message: /--repo must name at least one repository/ },
    { name: 'only blank --repo', raw: { repo: [' , '] }, message: /--repo must name at least one repository/ },
    { name: 'a tag on --repo', raw: { repo: ['acme/web:1.0'] }, message: /--repo takes a repository without tag or digest/ },
    { name: 'a long --name', raw: { repo: ['acme/web'], name: 'x'.repeat(41) }, message: /--name must be 1 to 40 letters/ },
    { name: 'a --name with a dot', raw: { repo: ['acme/web'], name: 'my.install' }, message: /--name must be/ },
    { name: 'a --stage with a space', raw: { repo: ['acme/web'], stage: 'my stage' }, message: /--stage must be letters/ },
    { name: 'a --cluster path', raw: { repo: ['acme/web'], cluster: ['prod:x'] }, message: /--cluster takes cluster names/ },
    { name: 'an unknown --source', raw: { repo: ['acme/web'], source: ['gitlab'] }, message: /--source takes/ },
    { name: 'an unknown --strategy', raw: { repo: ['acme/web'], strategy: 'blue-green' }, message: /--strategy must be one of/ },
    { name: 'a --run-before without command', raw: { repo: ['acme/web'], runBefore: ['service=web'] }, message: /command/ },
    { name: 'an http --notify URL', raw: { repo: ['acme/web'], notify: ['http://hooks.example.com/x'] }, message: /--notify/ },
    { name: 'a bad --endpoint-url', raw: { repo: ['acme/web'], endpointUrl: 'ftp://localhost' }, message: /--endpoint-url must be an http/ },
  ];
  it.each(refused)('refuses $name with a usage error', ({ raw, message }) => {
    const parse = () => parseInstallOptions(raw, {});
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });

  it('normalises and de-duplicates repositories, and takes cluster names from ARNs', () => {
    const options = parseInstallOptions(
      { repo: ['acme/web,docker.io/acme/web', 'nginx'], cluster: ['arn:aws:ecs:eu-west-1:123456789012:cluster/prod', 'prod,staging'] },
      {},
    );
    expect(options.repositories).toEqual(['docker.io/acme/web', 'docker.io/library/nginx']);
    expect(options.clusters).toEqual(['prod', 'staging']);
    expect(options.name).toBe('ecs-roll');
    expect(options.stage).toBe('live');
  });

  it('leaves out what was not given, so a re-install keeps what the install has', () => {
    const options = parseInstallOptions({ repo: ['acme/web'] }, {});
    for (const key of ['clusters', 'sources', 'policy', 'strategy', 'pinDigest', 'verify', 'notify', 'runBefore'] as const) {
      expect(options, key).not.toHaveProperty(key);
    }
    expect(options).toMatchObject({ rotateToken: false, dryRun: false, json: false });
  });

  const verifyCases: { flag: boolean | undefined; env: string | undefined; expected: boolean | undefined }[] = [
    { flag: true, env: 'false', expected: true },
    { flag: false, env: undefined, expected: false },
    { flag: undefined, env: 'false', expected: false },
    { flag: undefined, env: undefined, expected: undefined },
  ];
  it.each(verifyCases)('--verify $flag with ECS_ROLL_VERIFY=$env gives $expected', ({ flag, env, expected }) => {
    const options = parseInstallOptions(
      { repo: ['acme/web'], ...(flag === undefined ? {} : { verify: flag }) },
      env === undefined ? {} : { ECS_ROLL_VERIFY: env },
    );
    expect(options.verify).toBe(expected);
  });

  it('--no-notify removes every target; targets given are de-duplicated', () => {
    expect(parseInstallOptions({ repo: ['acme/web'], notify: false }, {}).notify).toEqual([]);
    const topic = 'arn:aws:sns:eu-west-1:123456789012:deploys';
    expect(parseInstallOptions({ repo: ['acme/web'], notify: [topic, topic] }, {}).notify).toHaveLength(1);
  });
});

describe('uninstall options', () => {
  it('takes the default name and refuses a bad one', () => {
    expect(parseUninstallOptions({}, {})).toEqual({ name: 'ecs-roll', aws: {}, dryRun: false, json: false });
    expect(() => parseUninstallOptions({ name: '' }, {})).toThrow(/--name must be 1 to 40/);
  });
});
