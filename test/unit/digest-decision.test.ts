import { describe, expect, it } from 'vitest';
import { decideSameTag } from '../../src/core/digest-decision.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('a service already on the tag', () => {
  it.each([
    ['registry not asked', { force: false }, 'none'],
    ['--force without a digest', { force: true }, 'redeploy'],
    ['--force with the same digest', { force: true, registryDigest: A, runningDigests: [A] }, 'redeploy'],
    ['same digest', { force: false, registryDigest: A, runningDigests: [A, A] }, 'none'],
    ['new digest', { force: false, registryDigest: B, runningDigests: [A] }, 'redeploy'],
    ['some tasks on the new digest, some not', { force: false, registryDigest: B, runningDigests: [A, B] }, 'redeploy'],
    ['no running task reports a digest', { force: false, registryDigest: B, runningDigests: [] }, 'none'],
    ['running digests not read', { force: false, registryDigest: B }, 'none'],
  ] as const)('%s', (_, input, action) => {
    expect(decideSameTag({ version: 'latest', ...input }).action).toBe(action);
  });

  it('says which digests differ', () => {
    expect(decideSameTag({ version: 'latest', force: false, registryDigest: B, runningDigests: [A] }).reason).toBe(
      'latest now points at sha256:bbbbbbbbbbbb; tasks run sha256:aaaaaaaaaaaa',
    );
  });
});
