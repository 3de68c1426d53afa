// A per-service deploy, as fabfuel/ecs-deploy's `ecs deploy CLUSTER SERVICE --image CONTAINER IMAGE` does it:
// describe the service, describe its task definition, register a copy with the new image, point the service
// at it, deregister the old revision. One service per process, so each pays node's and the SDK's start-up.
// Plain JavaScript, run with `node`, so it pays nothing a user's run would not.
//   node bench/per-service-deploy.mjs ENDPOINT CLUSTER SERVICE IMAGE
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';

const [endpoint, cluster, service, image] = process.argv.slice(2);
const repository = image.slice(0, image.lastIndexOf(':'));
const READ_ONLY = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
];

const ecs = new ECSClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
const current = described.services?.[0]?.taskDefinition;
if (current === undefined) throw new Error(`${cluster}/${service} not found`);
const { taskDefinition, tags } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: current, include: ['TAGS'] }));
const input = { ...taskDefinition };
for (const field of READ_ONLY) delete input[field];
input.containerDefinitions = taskDefinition.containerDefinitions.map((container) =>
  container.image.slice(0, container.image.lastIndexOf(':')) === repository ? { ...container, image } : container,
);
if (tags !== undefined && tags.length > 0) input.tags = tags;
const registered = await ecs.send(new RegisterTaskDefinitionCommand(input));
await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: registered.taskDefinition.taskDefinitionArn }));
await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: current }));
ecs.destroy();
