// What integration files import: the CLI runners (../cli.ts) and the ECS seeding helpers (../ecs.ts).
export { CLI, runCli, ServeProcess, spawnCli, TEST_ENV, type CliRun } from '../cli.js';
export {
  container,
  createCluster,
  createService,
  describeTaskDefinition,
  ecsClient,
  imagesOf,
  REGION,
  registerTaskDefinition,
  revisionCount,
  serviceTaskDefinition,
} from '../ecs.js';
