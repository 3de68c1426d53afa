import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { parseImageReference } from '../../src/core/image-ref.js';
import { registryOptionsFrom } from '../../src/core/registry-options.js';
import { ecrRepositoryArns } from '../../src/core/registry-policy.js';
import {
  credentialsFromDockerConfig,
  ecrRegistryOf,
  manifestUrl,
  missingTagMessage,
  parseBearerChallenge,
  parseRegistryAuth,
  parseRegistryMirrors,
  registryBaseUrl,
  tokenUrl,
} from '../../src/core/registry.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('where a reference is asked', () => {
  it.each([
    ['acme/web:1.4.3', 'https://registry-1.docker.io/v2/acme/web/manifests/1.4.3'],
    ['nginx:1.27', 'https://registry-1.docker.io/v2/library/nginx/manifests/1.27'],
    ['index.docker.io/acme/web:1', 'https://registry-1.docker.io/v2/acme/web/manifests/1'],
    ['ghcr.io/acme/web:2', 'https://ghcr.io/v2/acme/web/manifests/2'],
    ['registry.example:5000/team/app:3', 'https://registry.example:5000/v2/team/app/manifests/3'],
    ['127.0.0.1:5000/acme/web:1', 'http://127.0.0.1:5000/v2/acme/web/manifests/1'],
    ['localhost:5000/acme/web:1', 'http://localhost:5000/v2/acme/web/manifests/1'],
    [`acme/web@sha256:${'a'.repeat(64)}`, `https://registry-1.docker.io/v2/acme/web/manifests/sha256%3A${'a'.repeat(64)}`],
  ])('%s → %s', (image, url) => {
    expect(manifestUrl(parseImageReference(image))).toBe(url);
  });

  it('uses a mirror for its registry only', () => {
    const mirrors = parseRegistryMirrors('docker.io=http://127.0.0.1:5000');
    expect(registryBaseUrl(parseImageReference('acme/web:1'), mirrors)).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl(parseImageReference('ghcr.io/acme/web:1'), mirrors)).toBe('https://ghcr.io');
  });

  it.each(['docker.io=http://mirror.example', 'docker.io', '=https://x', 'docker.io=ftp://x', 'docker.io=https://u:p@x'])(
    'refuses the mirror entry %s',
    (entry) => expect(() => parseRegistryMirrors(entry)).toThrow(UsageError),
  );

  it.each([
    [`${ECR}/acme/app:1`, { registryId: '123456789012', region: 'eu-west-1', repositoryName: 'acme/app' }],
    ['123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:1', { registryId: '123456789012', region: 'us-east-1', repositoryName: 'app' }],
    ['public.ecr.aws/acme/app:1', undefined],
    ['acme/app:1', undefined],
  ])('ECR registry of %s', (image, expected) => {
    expect(ecrRegistryOf(parseImageReference(image))).toEqual(expected);
  });

  it('names a missing tag as people wrote it', () => {
    expect(missingTagMessage(parseImageReference('acme/web:1.4.3'))).toBe('acme/web:1.4.3 does not exist in docker.io');
  });
});

describe('the Bearer challenge', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:acme/web:pull"',
      { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:acme/web:pull' },
    ],
    ['bearer realm=https://auth.example/token', { realm: 'https://auth.example/token' }],
    ['Basic realm="Registry"', undefined],
    ['Bearer service="x"', undefined],
    [null, undefined],
  ])('%s', (header, expected) => {
    expect(parseBearerChallenge(header)).toEqual(expected);
  });

  it('asks for pull of the one repository checked, whatever scope the challenge named', () => {
    const url = tokenUrl(
      { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:other/repo:push,pull' },
      'acme/web',
    );
    expect(url?.toString()).toBe('https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Aacme%2Fweb%3Apull');
  });

  it.each(['http://auth.example/token', 'file:///etc/passwd', 'not a url', 'https://user:pw@auth.example/token'])(
    'does not follow the realm %s',
    (realm) => expect(tokenUrl({ realm }, 'acme/web')).toBeUndefined(),
  );

  it.each(['http://127.0.0.1:9000/token', 'http://localhost/token', 'http://[::1]:80/token'])('follows a loopback http realm %s', (realm) => {
    expect(tokenUrl({ realm }, 'acme/web')).toBeDefined();
  });
});

describe('credentials', () => {
  it('reads user:password with colons in the password', () => {
    expect(parseRegistryAuth('alice:pa:ss')).toEqual({ username: 'alice', password: 'pa:ss' });
    expect(() => parseRegistryAuth('alice')).toThrow(UsageError);
    expect(() => parseRegistryAuth(':pw')).toThrow(UsageError);
  });

  const auth = (text: string) => ({ auth: Buffer.from(text).toString('base64') });
  it.each([
    [{ auths: { 'https://index.docker.io/v1/': auth('hub:pw') } }, 'docker.io', { username: 'hub', password: 'pw' }],
    [{ auths: { 'ghcr.io': auth('gh:tok:en') } }, 'ghcr.io', { username: 'gh', password: 'tok:en' }],
    [{ auths: { 'https://ghcr.io': { username: 'u', password: 'p' } } }, 'ghcr.io', { username: 'u', password: 'p' }],
    [{ auths: { 'ghcr.io': auth('gh:pw') } }, 'docker.io', undefined],
    [{ auths: { 'ghcr.io': { auth: '!!!' } } }, 'ghcr.io', undefined],
    [{ credsStore: 'desktop' }, 'docker.io', undefined],
    ['not an object', 'docker.io', undefined],
  ])('Docker config %j for %s', (config, registry, expected) => {
    expect(credentialsFromDockerConfig(config, registry)).toEqual(expected);
  });
});

describe('registry settings from options and the environment', () => {
  it('verifies by default; --no-verify and ECS_ROLL_VERIFY=false turn it off', () => {
    expect(registryOptionsFrom({}, {}).verify).toBe(true);
    expect(registryOptionsFrom({ verify: false }, {}).verify).toBe(false);
    expect(registryOptionsFrom({}, { ECS_ROLL_VERIFY: 'false' }).verify).toBe(false);
    expect(registryOptionsFrom({}, { ECS_ROLL_PIN_DIGEST: 'true' }).pinDigest).toBe(true);
  });

  it.each([
    [{}, { ECS_ROLL_VERIFY: 'maybe' }],
    [{}, { ECS_ROLL_REGISTRY_TIMEOUT: '0' }],
    [{ registryAuth: 'nopassword' }, {}],
  ])('refuses %j %j as usage', (raw, env) => {
    expect(() => registryOptionsFrom(raw, env)).toThrow(UsageError);
  });

  it('never puts the credentials in the error', () => {
    expect(() => registryOptionsFrom({ registryAuth: 'secretvalue' }, {})).toThrow(/^(?!.*secretvalue)/);
  });
});

describe('the install policy for ECR', () => {
  it('lists the ECR repositories of the allow-list only', () => {
    expect(ecrRepositoryArns(['docker.io/acme/web', `${ECR}/acme/app`, `${ECR}/acme/app`])).toEqual([
      'arn:aws:ecr:eu-west-1:123456789012:repository/acme/app',
    ]);
  });
});
