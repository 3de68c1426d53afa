/** The `scale policy` commands' ports on the SDK, for put, remove and list alike; the clients are destroyed when the command ends. */
import type { PolicyServicesPort, ScalePolicyPorts } from '../../app/scale-policy.js';
import type { AwsConfig } from '../../aws/config.js';

/** Loads the command's app module alongside the SDK (start-up time is benchmarked) and runs it on the ports. */
export async function withPorts<App, T>(
  aws: AwsConfig,
  load: () => Promise<App>,
  run: (app: App, ports: ScalePolicyPorts) => Promise<T>,
): Promise<T> {
  const [app, { CloudWatchAlarms }, { createEcsClient, SdkEcs }, { findService }, policies] = await Promise.all([
    load(),
    import('../../aws/alarms.js'),
    import('../../aws/ecs.js'),
    import('../../aws/service-lookup.js'),
    import('../../aws/service-policies.js'),
  ]);
  const client = createEcsClient(aws);
  const alarms = new CloudWatchAlarms(aws);
  try {
    const ecs = new SdkEcs(client);
    const services: PolicyServicesPort = {
      findService: (service, cluster) => findService(ecs, service, cluster),
      describeServiceIfAny: (cluster, service) => policies.describeServiceIfAny(ecs, cluster, service),
      serviceTags: (serviceArn) => policies.serviceTags(ecs, serviceArn),
      tagService: (serviceArn, tags) => policies.tagService(ecs, serviceArn, tags),
      untagService: (serviceArn, keys) => policies.untagService(ecs, serviceArn, keys),
      listClusterArns: () => ecs.listClusterArns(),
      listServiceArns: (cluster) => ecs.listServiceArns(cluster),
      describeServices: (cluster, names) => ecs.describeServices(cluster, names),
    };
    return await run(app, { alarms, services });
  } finally {
    client.destroy();
    alarms.destroy();
  }
}
