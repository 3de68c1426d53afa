// discoverRolloutState reads the fleet in as few calls as ECS's limits allow (against sdk-ecs-double.ts).
import { describe, expect, it } from 'vitest';
import { discoverRolloutState } from '../../src/aws/ecs-discovery.js';
import { MissingClusterError, UsageError } from '../../src/core/errors.js';
import { clusterArnOf, serviceArnOf, taskDefinitionArnOf } from './builders.js';
import { describeServicesFrom, describeTaskDefinitionFrom, names, paged, sdkEcs, sdkService } from './sdk-ecs-double.js';

describe('discoverRolloutState', () => {
  /** `count` services in each cluster, spread round-robin over `revisions` revisions of `web`. */
  function fleet(clusters: readonly string[], count: number, revisions: number) {
    const table = Object.fromEntries(
      clusters.map((cluster) => [
        cluster,
        names('svc', count).map((name, index) => sdkService(cluster, name, { taskDefinition: taskDefinitionArnOf('web', 1 + (index % revisions)) })),
      ]),
    );
    return sdkEcs({
      ListClustersCommand: paged('clusterArns', () => clusters.map(clusterArnOf), 100),
      ListServicesCommand: paged('serviceArns', (input) =>
        (table[String(input.cluster).split('/').pop() ?? ''] ?? []).map((service) => service.serviceArn ?? ''),
      ),
      DescribeServicesCommand: describeServicesFrom(table),
      DescribeTaskDefinitionCommand: describeTaskDefinitionFrom(['web', 'batch', 'cron']),
      ListTaskDefinitionFamiliesCommand: paged('families', () => ['batch', 'cron', 'web']),
    });
  }

  it('describes 23 services in 3 calls of at most 10', async () => {
    const { ecs, client } = fleet(['prod'], 23, 1);
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: false, concurrency: 8 });
    expect(state.services).toHaveLength(23);
    const describes = client.named('DescribeServicesCommand');
    expect(describes).toHaveLength(3);
    expect(describes.map((input) => (input.services as string[]).length).sort()).toEqual([10, 10, 3]);
    expect(client.named('ListServicesCommand')[0]).toMatchObject({ cluster: 'prod', maxResults: 100 });
    expect(client.named('ListClustersCommand')).toEqual([]);
  });

  it('describes each distinct task definition exactly once though 50 services share 3 revisions', async () => {
    const { ecs, client } = fleet(['prod'], 50, 3);
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: false, concurrency: 8 });
    const described = client.named('DescribeTaskDefinitionCommand').map((input) => input.taskDefinition);
    // The family first (its newest revision, 5 here, is not in use), then each revision in use.
    expect(described.sort()).toEqual([...[1, 2, 3].map((revision) => taskDefinitionArnOf('web', revision)), 'web']);
    expect(Object.keys(state.taskDefinitions).sort()).toEqual([1, 2, 3].map((revision) => taskDefinitionArnOf('web', revision)));
    expect(state.idleFamilies).toBeUndefined();
  });

  it('lists every cluster when none are given and describes shared revisions once across clusters', async () => {
    const { ecs, client } = fleet(['prod', 'staging'], 12, 3);
    const state = await discoverRolloutState(ecs, { allFamilies: false, concurrency: 8 });
    expect(state.services).toHaveLength(24);
    expect(client.named('ListClustersCommand')).toHaveLength(1);
    expect(client.named('DescribeServicesCommand')).toHaveLength(4);
    expect(client.named('DescribeTaskDefinitionCommand')).toHaveLength(1 + 3);
  });

  it('with named services describes them directly, without ListServices', async () => {
    const { ecs, client } = fleet(['prod'], 30, 1);
    const state = await discoverRolloutState(ecs, {
      clusters: ['prod'],
      services: ['svc-001', serviceArnOf('prod', 'svc-017')],
      allFamilies: false,
      concurrency: 8,
    });
    expect(client.named('ListServicesCommand')).toEqual([]);
    expect(client.named('DescribeServicesCommand')).toEqual([{ cluster: 'prod', services: ['svc-001', 'svc-017'] }]);
    expect(state.services.map((service) => service.serviceName)).toEqual(['svc-001', 'svc-017']);
  });

  it('throws a usage error naming a service that no cluster holds', async () => {
    const { ecs } = fleet(['prod', 'staging'], 5, 1);
    const error = await discoverRolloutState(ecs, { services: ['svc-001', 'ghost'], allFamilies: false, concurrency: 8 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toContain('ghost');
    expect((error as Error).message).not.toContain('svc-001');
  });

  it('turns a missing named cluster into a usage error', async () => {
    const { ecs } = fleet(['prod'], 5, 1);
    const error = await discoverRolloutState(ecs, { clusters: ['nope'], services: ['svc-001'], allFamilies: false, concurrency: 8 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('nope');
  });

  it('leaves out INACTIVE services', async () => {
    const table = { prod: [sdkService('prod', 'live'), sdkService('prod', 'dead', { status: 'INACTIVE' })] };
    const { ecs } = sdkEcs({
      ListServicesCommand: paged('serviceArns', () => table.prod.map((service) => service.serviceArn ?? '')),
      DescribeServicesCommand: describeServicesFrom(table),
      DescribeTaskDefinitionCommand: describeTaskDefinitionFrom(['web']),
    });
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: false, concurrency: 2 });
    expect(state.services.map((service) => service.serviceName)).toEqual(['live']);
  });

  it('with allFamilies describes the newest revision of each family no service runs', async () => {
    const { ecs, client } = fleet(['prod'], 3, 1);
    const state = await discoverRolloutState(ecs, { clusters: ['prod'], allFamilies: true, concurrency: 8 });
    expect(state.idleFamilies?.map((definition) => definition.family).sort()).toEqual(['batch', 'cron']);
    const described = client.named('DescribeTaskDefinitionCommand').map((input) => input.taskDefinition);
    // Every family once by name: the one in use to find its newest revision, the idle ones for theirs.
    expect(described.filter((name) => !String(name).includes(':')).sort()).toEqual(['batch', 'cron', 'web']);
  });

  // DeleteCluster leaves a cluster INACTIVE and listed for a while, and a cluster may go between ListClusters and
  // ListServices: ECS answers ClusterNotFoundException for it.
  describe('a cluster that is gone by the time it is read', () => {
    function withGoneCluster() {
      const table = { prod: [sdkService('prod', 'web')] };
      return sdkEcs({
        ListClustersCommand: paged('clusterArns', () => ['prod', 'deleted'].map(clusterArnOf), 100),
        ListServicesCommand: (input) => {
          if (String(input.cluster).endsWith('deleted')) throw Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' });
          return { serviceArns: table.prod.map((service) => service.serviceArn ?? '') };
        },
        DescribeServicesCommand: describeServicesFrom(table),
        DescribeTaskDefinitionCommand: describeTaskDefinitionFrom(['web']),
      });
    }

    it('is passed over when ListClusters named it', async () => {
      const { ecs } = withGoneCluster();
      const state = await discoverRolloutState(ecs, { allFamilies: false, concurrency: 8 });
      expect(state.services.map((service) => `${service.clusterName}/${service.serviceName}`)).toEqual(['prod/web']);
    });

    it('is a usage error when the user named it', async () => {
      const { ecs } = withGoneCluster();
      const discovery = discoverRolloutState(ecs, { clusters: ['prod', 'deleted'], allFamilies: false, concurrency: 8 });
      await expect(discovery).rejects.toBeInstanceOf(MissingClusterError);
      await expect(discovery).rejects.toThrow(/cluster deleted does not exist/);
    });
  });
});
