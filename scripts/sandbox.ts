// `npm run sandbox [-- --port N]`: the test sandbox (moto, ECS's scheduler, and Lambda, API Gateway,
// SNS, SQS, EventBridge and CloudWatch alarms running what they store) on loopback, until Ctrl-C.
// Every ecs-roll command can be tried against it; see "The sandbox" in README.md.
import { startSandbox } from '../test/sandbox/sandbox.js';

function portArgument(argv: readonly string[]): number {
  const at = argv.indexOf('--port');
  if (at < 0) return 0;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    process.stderr.write(`--port takes a port number (0-65535), got ${JSON.stringify(argv[at + 1] ?? '')}\n`);
    process.exit(2);
  }
  return value;
}

const sandbox = await startSandbox({ port: portArgument(process.argv.slice(2)) });
const url = sandbox.endpoint;
process.stdout.write(
  [
    `Sandbox listening on ${url}`,
    '',
    'Point the AWS CLI at it (any credentials; account 123456789012):',
    `  export AWS_ENDPOINT_URL=${url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing`,
    '  aws ecs create-cluster --cluster-name prod',
    '',
    'Point ecs-roll at it (with the variables above, or --endpoint-url on each command):',
    `  node bin/ecs-roll rollout acme/web:1.1 --endpoint-url ${url}`,
    `  node bin/ecs-roll install --repo acme/web --endpoint-url ${url}   # prints a webhook URL served here`,
    '',
    `Start over: curl -X POST ${url}/_sandbox/reset     Stop: Ctrl-C`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void sandbox.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => {}, 1 << 30); // keep running until interrupted
