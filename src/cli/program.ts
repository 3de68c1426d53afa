import { Command, Option } from 'commander';
import type {
  RawInstallOptions,
  RawPackageOptions,
  RawRolloutOptions,
  RawScaleOptions,
  RawScalePolicyOptions,
  RawServeOptions,
  RawStatusOptions,
  RawUninstallOptions,
  RawWebhookStatusOptions,
} from './raw-options.js';
import type { CliIo } from './render.js';
import { packageVersion } from './version.js';

/** Help is wrapped at a fixed width, so the text rendered at build time is the text commander prints. */
export const HELP_WIDTH = 80;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function addAwsOptions(command: Command): Command {
  return command
    .option('--region <region>', 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile)')
    .option('--profile <name>', 'AWS shared-config profile')
    .option('--endpoint-url <url>', 'send every AWS call to this URL (a local emulator); AWS_ENDPOINT_URL works too');
}

/**
 * Commander's action for a command whose module is imported only when it runs: the positional arguments,
 * then the options with the program's own (--no-color) and a parent command's (`scale policy put` reads
 * `scale`'s --min and --max); the command's exit code goes to the context.
 */
function lazy<O, A extends readonly string[] = []>(context: ProgramContext, run: (...args: [...A, O]) => Promise<number>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received.at(-1) as Command;
    const args = received.slice(0, -2);
    context.setExitCode(await run(...([...args, command.optsWithGlobals()] as unknown as [...A, O])));
  };
}

export interface ProgramContext {
  readonly io: CliIo;
  readonly signal: AbortSignal;
  /** Where a command's exit code goes; the entry point turns it into the process's. */
  setExitCode(code: number): void;
}

/**
 * The command tree. Actions import their modules when they run, so `--help` and `--version`
 * load neither the AWS SDK nor the renderers.
 */
export function buildProgram(context: ProgramContext): Command {
  const program = new Command('ecs-roll')
    .description('Keep Amazon ECS services on the image versions their teams just built.')
    .version(packageVersion(), '-v, --version')
    .option('--no-color', 'no colours in the output (NO_COLOR works too)')
    .configureHelp({ helpWidth: HELP_WIDTH })
    .showHelpAfterError('(run with --help for usage)')
    // Errors become exceptions so the entry point alone decides the exit code (2 for usage).
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    });

  addAwsOptions(
    program
      .command('rollout')
      .description('move every ECS service whose task definition runs the image to the new tag or digest')
      .argument('<image>', 'image:tag or image@digest, e.g. acme/web:1.4.2')
      // Only rollout takes an image, so only its errors carry the hint about where it goes.
      .showHelpAfterError('(run with --help for usage; the image goes before list options such as --cluster a b)')
      .option('--cluster <name...>', 'only these clusters (default: all in the region)', collect)
      .option('--service <name...>', 'only these services: name, cluster/name or service ARN', collect)
      .option('--all-families', 'also register new revisions of task definition families that no service runs')
      .addOption(new Option('--strategy <strategy>', 'how old tasks are replaced').choices(['rolling', 'replace']).default('rolling'))
      .option('--dry-run', 'print the plan and change nothing')
      .option('--no-wait', 'make the changes and return without waiting for the deployments')
      // No commander default: an absent --timeout is the default, which grows by a staged deployment's bake time.
      .option('--timeout <seconds>', "the whole run's budget, a rollback included (default: 1800, plus a BLUE_GREEN/LINEAR/CANARY bake time)")
      .option('--poll-interval <seconds>', 'seconds between status polls (at least 10 against AWS)')
      // Help prints the default once, as "(default: true)".
      .option('--rollback', 'on failure, put every changed service back on its previous revision', true)
      .option('--no-rollback', 'leave services where they are when the rollout fails')
      .option('--force', 'start a new deployment of services already on the tag (a mutable tag pushed again)')
      .option('--no-verify', "do not ask the image's registry whether the tag exists (and its digest) first")
      .option('--registry-auth <user:password>', 'credentials for a private registry (default: ~/.docker/config.json)')
      .option('--pin-digest', 'write the new images as repo:tag@sha256:… with the digest the registry answered')
      .option(
        '--run-before <spec>',
        "run a one-off task from the new revision before any service moves, e.g. 'service=web,container=app,command=bin/migrate --safe' (repeatable, run in order)",
        collect,
      )
      .option('--run-timeout <seconds>', 'how long a --run-before task may run before it is stopped', '1800')
      .option('--expect-services <n>', 'fail (exit 1) before any change unless exactly n services run the image')
      .option('--require-match', 'fail (exit 1) before any change unless at least one service runs the image')
      .option(
        '--notify <https-url>',
        'POST a JSON document (with a Slack-compatible text) for each outcome: started, completed, failed, rolled back; an SNS topic ARN works too (repeatable; never fails the rollout)',
        collect,
      )
      .option('--json', 'one JSON document on stdout, no colour or spinner'),
  ).action(
    lazy<RawRolloutOptions, [string]>(context, async (image, options) =>
      (await import('./commands/rollout.js')).runRolloutCommand(image, options, context.io, context.signal),
    ),
  );

  addAwsOptions(
    program
      .command('status')
      .description('show every service that runs the image, grouped by tag or digest')
      .argument('<image>', 'the repository, e.g. acme/web (a tag given is ignored)')
      .option('--cluster <name...>', 'only these clusters (default: all in the region)', collect)
      .option('--watch', 'refresh until Ctrl-C')
      .option('--poll-interval <seconds>', 'seconds between refreshes with --watch (at least 10 against AWS)')
      .option('--json', 'one JSON document on stdout (one per line with --watch)'),
  ).action(
    lazy<RawStatusOptions, [string]>(context, async (image, options) =>
      (await import('./commands/status.js')).runStatusCommand(image, options, context.io, context.signal),
    ),
  );

  addAwsOptions(
    program
      .command('install')
      .description('deploy the webhook receiver to AWS Lambda behind API Gateway and print the URL for Docker Hub')
      .requiredOption('--repo <namespace/name...>', 'repositories whose pushes may roll out (the allow-list)', collect)
      .option('--name <name>', 'name of the install: prefix of every resource it creates', 'ecs-roll')
      .option('--stage <stage>', 'API Gateway stage', 'live')
      .option(
        '--source <source...>',
        'which pushes roll out: dockerhub (webhook via API Gateway) and/or ecr (EventBridge rule) (first install: dockerhub)',
        collect,
      )
      .option('--cluster <name...>', 'only these clusters (default: all in the region)', collect)
      // No defaults here: a setting left out keeps what the install has (defaults apply to a first install).
      .option('--policy <policy>', 'which tags roll out: any, semver, or match:<glob> (first install: any)')
      .addOption(new Option('--strategy <strategy>', 'how old tasks are replaced (first install: rolling)').choices(['rolling', 'replace']))
      .option('--timeout <seconds>', 'how long the worker follows the deployments of a push, across invocations (first install: 3600, at most 86400)')
      // Paired, so that left out (undefined) keeps what the install has.
      .option('--pin-digest', "the worker writes new images as repo:tag@sha256:… (the registry's digest)")
      .option('--no-pin-digest', 'the worker writes tags as given')
      .option('--verify', "the worker asks the image's registry first (first install: unless ECS_ROLL_VERIFY=false)")
      .option('--no-verify', 'the worker does not ask the registry first')
      .option(
        '--run-before <spec>',
        'a one-off task the worker runs before the services of every push move (repeatable; as rollout --run-before)',
        collect,
      )
      .option(
        '--notify <target>',
        "send each push's and alarm's outcome to an SNS topic ARN or an https URL (repeatable; replaces the install's targets; URLs kept in an SSM SecureString parameter)",
        collect,
      )
      .option('--no-notify', 'remove every notification target')
      .option('--rotate-token', 'issue a new URL token (the old URL stops working)')
      .option('--dry-run', 'print the resources and the IAM policy, change nothing')
      .option('--json', 'one JSON document on stdout'),
  ).action(
    lazy<RawInstallOptions>(context, async (options) =>
      (await import('./commands/install.js')).runInstallCommand(options, context.io, context.signal),
    ),
  );

  addAwsOptions(
    program
      .command('uninstall')
      .description('remove everything install created')
      .option('--name <name>', 'name of the install', 'ecs-roll')
      .option('--dry-run', 'show what would be deleted and delete nothing')
      .option('--json', 'one JSON document on stdout'),
  ).action(
    lazy<RawUninstallOptions>(context, async (options) =>
      (await import('./commands/uninstall.js')).runUninstallCommand(options, context.io, context.signal),
    ),
  );

  addAwsOptions(
    program
      .command('webhook')
      .description('the webhook install at work')
      .command('status')
      .description('pushes in flight, rollouts being followed, dead letters, and how recent rollouts ended')
      .option('--name <name>', 'name of the install', 'ecs-roll')
      .option('--json', 'one JSON document on stdout'),
  ).action(
    lazy<RawWebhookStatusOptions>(context, async (options) =>
      (await import('./commands/webhook-status.js')).runWebhookStatusCommand(options, context.io),
    ),
  );

  program
    .command('package')
    .description('write the Lambda deployment zip that install uploads (for Terraform, CloudFormation, CDK)')
    .requiredOption('--out <file.zip>', 'where to write the zip')
    .action(lazy<RawPackageOptions>(context, async (options) => (await import('./commands/package.js')).runPackageCommand(options, context.io)));

  addAwsOptions(
    program
      .command('serve')
      .description('run the webhook receiver over HTTP and the rollouts in-process (self-hosting, local testing)')
      .option('--port <port>', 'port to listen on', '8080')
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option(
        '--token-file <path>',
        'file holding the URL token (default: ECS_ROLL_TOKEN). Never pass the token itself as an argument: the process list shows it. It is not handed to child processes',
      )
      .addOption(new Option('--token <token>').hideHelp())
      .option('--state-dir <dir>', 'where accepted jobs are kept until run (default: $XDG_STATE_HOME/ecs-roll or ~/.local/state/ecs-roll)')
      .option('--repo <namespace/name...>', 'allowed repositories (default: ECS_ROLL_REPOS)', collect)
      .option('--cluster <name...>', 'only these clusters (default: ECS_ROLL_CLUSTERS, or all)', collect)
      .option('--policy <policy>', 'any, semver or match:<glob> (default: ECS_ROLL_POLICY, or any)')
      .addOption(new Option('--strategy <strategy>', 'how old tasks are replaced').choices(['rolling', 'replace']))
      .option('--timeout <seconds>', 'how long each rollout waits (default: ECS_ROLL_TIMEOUT, or 3600)')
      .option('--poll-interval <seconds>', 'seconds between status polls (at least 10 against AWS)')
      .option(
        '--notify <target>',
        "send each push's outcome to an SNS topic ARN or an https URL, as install --notify (repeatable; ECS_ROLL_NOTIFY, space-separated, keeps URLs out of the process list)",
        collect,
      ),
  ).action(
    lazy<RawServeOptions>(context, async (options) => (await import('./commands/serve.js')).runServeCommand(options, context.io, context.signal)),
  );

  const scale = addAwsOptions(
    program
      .command('scale')
      .description("set an ECS service's desired task count, or let CloudWatch alarms drive it")
      .argument('<service>', 'service name, or cluster/service')
      .option('--cluster <name>', 'the cluster that holds the service')
      .option('--count <n>', 'set the desired count')
      .option('--by <change>', 'change it: +n, -n, +n% or -n% (percentages round as EC2 Auto Scaling does)')
      .option('--min <n>', 'never below this count')
      .option('--max <n>', 'never above this count')
      .option('--update-autoscaling', "move Application Auto Scaling's bounds to include the new count")
      .option('--no-wait', 'return without waiting for the tasks')
      .option('--timeout <seconds>', 'how long to wait', '900')
      .option('--poll-interval <seconds>', 'seconds between status polls (at least 10 against AWS)')
      .option('--dry-run', 'print what would change, change nothing')
      .option('--notify <https-url>', 'POST the outcome (completed or failed) as a JSON document; an SNS topic ARN works too (repeatable)', collect)
      .option('--json', 'one JSON document on stdout'),
  ).action(
    lazy<RawScaleOptions, [string]>(context, async (service, options) =>
      (await import('./commands/scale.js')).runScaleCommand(service, options, context.io, context.signal),
    ),
  );

  const scalingPolicy = scale.command('policy').description('scaling policies that CloudWatch alarms trigger');
  addAwsOptions(
    scalingPolicy
      .command('put')
      .description("attach a scaling policy to an existing alarm (needs install's topic)")
      .argument('<cluster/service>')
      .requiredOption('--alarm <alarm-name>', 'the CloudWatch alarm')
      .requiredOption('--adjust <change>', '+n, -n, =n, +n% or -n%')
      // Required, but checked by the command: `scale` has its own --min and --max and takes them first.
      .option('--min <n>', 'never below this count (required)')
      .option('--max <n>', 'never above this count (required)')
      .option('--cooldown <seconds>', 'ignore the alarm this long after a policy scaled the service', '300')
      .option('--name <name>', 'the install whose topic the alarm notifies', 'ecs-roll')
      .option('--json', 'one JSON document on stdout'),
  ).action(
    // With the options `scale` parsed (--min, --max, --json, --region, --profile, --endpoint-url share its names).
    lazy<RawScalePolicyOptions, [string]>(context, async (service, options) =>
      (await import('./commands/scale-policy.js')).runPolicyPut(service, options, context.io),
    ),
  );
  addAwsOptions(
    scalingPolicy.command('list').description('every scaling policy, with its alarm state').option('--json', 'one JSON document on stdout'),
  ).action(lazy<RawScalePolicyOptions>(context, async (options) => (await import('./commands/scale-policy.js')).runPolicyList(options, context.io)));
  addAwsOptions(
    scalingPolicy
      .command('remove')
      .description("take a scaling policy off its alarm (the alarm's other actions stay)")
      .argument('<cluster/service>')
      .requiredOption('--alarm <alarm-name>', 'the CloudWatch alarm')
      .option('--name <name>', 'the install whose topic the alarm notifies', 'ecs-roll')
      .option('--json', 'one JSON document on stdout'),
  ).action(
    lazy<RawScalePolicyOptions, [string]>(context, async (service, options) =>
      (await import('./commands/scale-policy.js')).runPolicyRemove(service, options, context.io),
    ),
  );

  return program;
}
