import { UsageError } from '../../src/core/errors.js';
import { parseRunBeforeSpec } from '../../src/core/run-before.js';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/core/update-policy.js';
import { hashToken, normaliseRepository, webhookConfigFromEnv, webhookConfigToEnv, type WebhookConfig } from '../../src/webhook/config.js';
import { MAX_BODY_BYTES, parseJob, receiveWebhook, tokenMatches, type WebhookRequest } from '../../src/webhook/receiver.js';

const TOKEN = 'k3Jx9Q2mV7pL0sT4wY8zA1bC5dE6fG7hI8jK9lM0nOp';
const config: WebhookConfig = {
  tokenSha256: hashToken(TOKEN),
  repositories: [normaliseRepository('acme/web'), normaliseRepository('acme/worker')],
  policy: { kind: 'any' },
  clusters: [],
  strategy: 'rolling',
  timeoutSeconds: 900,
  pollIntervalSeconds: 10,
};

function payload(overrides: { repo?: unknown; tag?: unknown; pushedAt?: unknown; extra?: Record<string, unknown> } = {}) {
  return {
    callback_url: 'https://registry.hub.docker.com/u/acme/web/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/',
    push_data: {
      pushed_at: 'pushedAt' in overrides ? overrides.pushedAt : 1767225600,
      pusher: 'someone',
      tag: 'tag' in overrides ? overrides.tag : '1.4.2',
    },
    repository: { repo_name: 'repo' in overrides ? overrides.repo : 'acme/web', namespace: 'acme', name: 'web', is_private: true, status: 'Active' },
    ...overrides.extra,
  };
}

function post(body: unknown, path = `/hooks/dockerhub/${TOKEN}`, method = 'POST'): WebhookRequest {
  return { method, path, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

describe('receiveWebhook', () => {
  it('accepts a Docker Hub push of an allowed repository and builds the job from validated parts only', () => {
    const answer = receiveWebhook(post(payload()), config);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ status: 'accepted', image: 'acme/web:1.4.2' });
    expect(answer.job).toEqual({
      version: 1,
      kind: 'dockerhub-push',
      image: 'acme/web:1.4.2',
      repository: 'docker.io/acme/web',
      tag: '1.4.2',
      pushedAt: 1767225600,
    });
    expect(JSON.stringify(answer.job)).not.toContain('callback');
  });

  it.each([
    ['no token', '/hooks/dockerhub/'],
    ['a wrong token', `/hooks/dockerhub/${TOKEN.slice(0, -1)}x`],
    ['the token with a suffix', `/hooks/dockerhub/${TOKEN}x`],
    ['the token twice', `/hooks/dockerhub/${TOKEN}/${TOKEN}`],
    ['another route', `/hooks/github/${TOKEN}`],
    ['path traversal', `/hooks/dockerhub/../dockerhub/${TOKEN}`],
    ['the root', '/'],
  ])('answers 404 to %s, whatever the body', (_, path) => {
    expect(receiveWebhook(post(payload(), path), config)).toEqual({ status: 404, authenticated: false, body: { error: 'not found' } });
    expect(receiveWebhook(post('not json', path), config).status).toBe(404);
  });

  it('answers 404 before 405, so a wrong method does not reveal the route', () => {
    expect(receiveWebhook(post(payload(), '/hooks/dockerhub/nope', 'GET'), config).status).toBe(404);
    expect(receiveWebhook(post(payload(), undefined, 'GET'), config).status).toBe(405);
  });

  it('answers 413 above 64 KiB, and to a body the transport already refused', () => {
    const big = JSON.stringify(payload({ extra: { padding: 'x'.repeat(MAX_BODY_BYTES) } }));
    expect(receiveWebhook(post(big), config).status).toBe(413);
    expect(receiveWebhook({ method: 'POST', path: `/hooks/dockerhub/${TOKEN}`, body: undefined, bodyTooLarge: true }, config).status).toBe(413);
    expect(receiveWebhook(post(JSON.stringify(payload({ extra: { padding: 'x'.repeat(60_000) } }))), config).status).toBe(202);
  });

  it.each([
    ['not JSON', '{"repository":'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1')],
    ['a JSON array', '[]'],
    ['a JSON string', '"acme/web:1"'],
    ['null', 'null'],
    ['no repository', { push_data: { tag: '1', pushed_at: 1767225600 } }],
    ['no push_data', { repository: { repo_name: 'acme/web' } }],
    ['repo_name not a string', payload({ repo: 42 })],
    ['repo_name with a tag', payload({ repo: 'acme/web:1' })],
    ['repo_name without namespace', payload({ repo: 'web' })],
    ['repo_name with capitals', payload({ repo: 'Acme/web' })],
    ['repo_name look-alike (Cyrillic а)', payload({ repo: 'аcme/web' })],
    ['repo_name with a registry', payload({ repo: 'evil.example/acme/web' })],
    ['repo_name traversal', payload({ repo: '../acme/web' })],
    ['tag missing', payload({ tag: undefined })],
    ['tag a number', payload({ tag: 142 })],
    ['tag empty', payload({ tag: '' })],
    ['tag too long', payload({ tag: 'a'.repeat(129) })],
    ['tag with shell metacharacters', payload({ tag: '1.0;rm -rf /' })],
    ['tag with a slash', payload({ tag: '../1.0' })],
    ['tag starting with a dot', payload({ tag: '.1' })],
    ['pushed_at missing', payload({ pushedAt: undefined })],
    ['pushed_at a string', payload({ pushedAt: '1767225600' })],
    ['pushed_at in milliseconds', payload({ pushedAt: 1767225600000 })],
    ['pushed_at negative', payload({ pushedAt: -1 })],
  ])('answers 400 to %s', (_, body) => {
    const answer = receiveWebhook(
      typeof body === 'string' ? { method: 'POST', path: `/hooks/dockerhub/${TOKEN}`, body: Buffer.from(body, 'latin1') } : post(body),
      config,
    );
    expect(answer.status).toBe(400);
    expect(answer.job).toBeUndefined();
    expect(typeof answer.body.error).toBe('string');
  });

  it('accepts a tag at the grammar limit of 128 characters', () => {
    expect(receiveWebhook(post(payload({ tag: `v${'1'.repeat(127)}` })), config).status).toBe(202);
  });

  it('answers 403 to a repository outside the allow-list, including look-alikes', () => {
    for (const repo of ['acme/webhook', 'acme/we', 'acme2/web', 'other/web']) {
      const answer = receiveWebhook(post(payload({ repo })), config);
      expect(answer.status, repo).toBe(403);
      expect(answer.job).toBeUndefined();
    }
  });

  it('ignores tags the policy refuses, with 200 and no job', () => {
    const semver = { ...config, policy: parsePolicy('semver') };
    expect(receiveWebhook(post(payload({ tag: 'latest' })), semver)).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(receiveWebhook(post(payload({ tag: '1.5.0' })), semver).status).toBe(202);
    const release = { ...config, policy: parsePolicy('match:release-*') };
    expect(receiveWebhook(post(payload({ tag: 'feature-x' })), release).job).toBeUndefined();
    expect(receiveWebhook(post(payload({ tag: 'release-42' })), release).status).toBe(202);
  });
});

describe('tokenMatches', () => {
  it('matches only the exact token', () => {
    expect(tokenMatches(TOKEN, config.tokenSha256)).toBe(true);
    expect(tokenMatches(`${TOKEN} `, config.tokenSha256)).toBe(false);
    expect(tokenMatches('', config.tokenSha256)).toBe(false);
    expect(tokenMatches(TOKEN, 'not-hex')).toBe(false);
  });
});

describe('parseJob', () => {
  it('takes a job the receiver made and refuses anything else', () => {
    const job = receiveWebhook(post(payload()), config).job;
    expect(parseJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
    expect(parseJob({ ...job, version: 2 })).toBeUndefined();
    expect(parseJob({ ...job, image: `acme/web:1.4.2@sha256:${'a'.repeat(64)}` })).toBeUndefined();
    expect(parseJob({ ...job, tag: 'other' })).toBeUndefined();
    expect(parseJob('acme/web:1.4.2')).toBeUndefined();
    expect(parseJob(null)).toBeUndefined();
  });
});

describe('webhook configuration', () => {
  it('round-trips through the environment install writes', () => {
    const env = webhookConfigToEnv({ ...config, policy: parsePolicy('match:release-*'), clusters: ['prod'], strategy: 'replace' });
    expect(env.ECS_ROLL_TOKEN_SHA256).toBe(hashToken(TOKEN));
    expect(Object.values(env).join(' ')).not.toContain(TOKEN);
    expect(webhookConfigFromEnv(env)).toEqual({ ...config, policy: parsePolicy('match:release-*'), clusters: ['prod'], strategy: 'replace' });
    expect(env).not.toHaveProperty('ECS_ROLL_RUN_BEFORE');
  });

  it('carries run-before specs, commas and quotes included, as a JSON list', () => {
    const runBefore = [
      parseRunBeforeSpec(`service=web,container=app,command=sh -c 'a, b'`),
      parseRunBeforeSpec('service=api,container=api,command=x'),
    ];
    const env = webhookConfigToEnv({ ...config, runBefore });
    expect(JSON.parse(env.ECS_ROLL_RUN_BEFORE ?? '')).toEqual([
      `service=web,container=app,command=sh -c 'a, b'`,
      'service=api,container=api,command=x',
    ]);
    expect(webhookConfigFromEnv(env).runBefore).toEqual(runBefore);
    for (const bad of ['service=web', '"not a list"', '[1]', '{']) {
      expect(() => webhookConfigFromEnv({ ...env, ECS_ROLL_RUN_BEFORE: bad })).toThrow(UsageError);
    }
  });

  it.each([
    [{}, /ECS_ROLL_TOKEN/],
    [{ ECS_ROLL_TOKEN_SHA256: 'abc', ECS_ROLL_REPOS: 'acme/web' }, /ECS_ROLL_TOKEN/],
    [{ ECS_ROLL_TOKEN: TOKEN }, /ECS_ROLL_REPOS/],
    [{ ECS_ROLL_TOKEN: TOKEN, ECS_ROLL_REPOS: 'acme/web:1' }, /without tag/],
    [{ ECS_ROLL_TOKEN: TOKEN, ECS_ROLL_REPOS: 'acme/web', ECS_ROLL_POLICY: 'newest' }, /policy/],
    [{ ECS_ROLL_TOKEN: TOKEN, ECS_ROLL_REPOS: 'acme/web', ECS_ROLL_STRATEGY: 'yolo' }, /strategy/],
    [{ ECS_ROLL_TOKEN: TOKEN, ECS_ROLL_REPOS: 'acme/web', ECS_ROLL_TIMEOUT: '0' }, /TIMEOUT/],
  ])('refuses a bad environment %#', (env, message) => {
    expect(() => webhookConfigFromEnv(env)).toThrow(message);
  });
});

describe('receiveWebhook: clock and routes', () => {
  const now = 1_767_225_600;
  it.each([
    [now + 300, 202],
    [now + 301, 400],
    [4_102_444_799, 400],
  ])('a push at %i against a receiver clock of 1767225600 answers %i', (pushedAt, status) => {
    const answer = receiveWebhook(post(payload({ pushedAt })), config, now);
    expect(answer.status).toBe(status);
    if (status === 400) expect(answer.body.error).toMatch(/ahead of this receiver's clock/);
  });

  it.each([
    ['an HTTP API stage', `/live/hooks/dockerhub/${TOKEN}`, 202],
    ['a custom domain base path', `/ci/webhooks/hooks/dockerhub/${TOKEN}`, 202],
    ['a trailing slash', `/hooks/dockerhub/${TOKEN}/`, 202],
    ['a prefix with the wrong token', `/live/hooks/dockerhub/${TOKEN}x`, 404],
    ['five leading segments', `/a/b/c/d/e/hooks/dockerhub/${TOKEN}`, 404],
  ])('routes through %s', (_, path, status) => {
    expect(receiveWebhook(post(payload(), path), config, now).status).toBe(status);
  });
});
