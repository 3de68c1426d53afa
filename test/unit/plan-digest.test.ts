import { describe, expect, it } from 'vitest';
import { servicesOnTargetTag } from '../../src/core/digest-decision.js';
import { planRollout } from '../../src/core/plan.js';
import { imageChanges } from '../../src/core/plan-services.js';
import { parseImageReference, retag } from '../../src/core/image-ref.js';
import { aContainer, aRequest, aService, aTaskDefinition, anObservedState, targetOf } from './builders.js';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

describe('a pinned reference is the same repository as its tag form', () => {
  it.each([
    [`acme/web:1.1@${OLD}`, 'acme/web:1.1'],
    [`acme/web@${OLD}`, 'docker.io/acme/web:latest'],
    [`123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2@${OLD}`, '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2'],
  ])('%s ~ %s', (pinned, tagged) => {
    expect(parseImageReference(pinned).repository).toBe(parseImageReference(tagged).repository);
  });

  it('moves a pinned container to the new pin, keeping its spelling', () => {
    const definition = aTaskDefinition({ family: 'web', revision: 4, containers: [aContainer({ name: 'app', image: `acme/web:1.1@${OLD}` })] });
    const target = { ...targetOf('acme/web:1.2'), digest: NEW };
    expect(imageChanges(definition, target)).toEqual([{ container: 'app', from: `acme/web:1.1@${OLD}`, to: `acme/web:1.2@${NEW}` }]);
    expect(retag(parseImageReference(`acme/web:1.1@${OLD}`), targetOf('acme/web:1.2'))).toBe('acme/web:1.2');
  });
});

describe('a service already on the tag, decided by digests', () => {
  const latest = aTaskDefinition({ family: 'web', revision: 2, containers: [aContainer({ name: 'app', image: 'acme/web:latest' })] });
  const service = aService({ clusterName: 'prod', serviceName: 'web', taskDefinitionArn: latest.arn });

  it('is left alone before the running digests are read, and listed as the services to read', () => {
    const plan = planRollout(anObservedState([service], [latest]), { ...aRequest('acme/web:latest'), registryDigest: NEW });
    expect(plan.services[0]?.action).toBe('none');
    expect(servicesOnTargetTag(plan).map((planned) => planned.service)).toEqual(['web']);
  });

  it('redeploys when its tasks run another digest, without a new revision', () => {
    const state = { ...anObservedState([service], [latest]), runningDigests: { [service.serviceArn]: [OLD] } };
    const plan = planRollout(state, { ...aRequest('acme/web:latest'), registryDigest: NEW });
    expect(plan.services[0]).toMatchObject({ action: 'redeploy' });
    expect(plan.registrations).toEqual([]);
  });

  it('stays when its tasks run the registry digest', () => {
    const state = { ...anObservedState([service], [latest]), runningDigests: { [service.serviceArn]: [NEW] } };
    expect(planRollout(state, { ...aRequest('acme/web:latest'), registryDigest: NEW }).services[0]?.action).toBe('none');
  });
});
