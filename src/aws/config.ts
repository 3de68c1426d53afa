/** Where and as whom to call AWS; the same for every client a command builds. */
export interface AwsConfig {
  readonly region?: string;
  readonly profile?: string;
  /** A local emulator; AWS_ENDPOINT_URL works as well, as the SDK reads it itself. */
  readonly endpointUrl?: string;
}

/**
 * The SDK prints a NodeVersionSupportWarning on Node 20 at its first call. That one warning is
 * about the SDK's future releases, not about this run, and it would corrupt `--json` output on
 * stderr-merging CI logs, so it alone is turned off unless the user chose otherwise.
 */
export function quietSdkNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * Every AWS call is bounded: a connection that is not made within CONNECTION_TIMEOUT_MS, or an answer
 * that does not come within the request timeout, fails that attempt (a TimeoutError the SDK retries,
 * within the attempts below), instead of waiting for ever on a socket that never answers.
 * Settings of the SDK's NodeHttpHandler: https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * and https://github.com/smithy-lang/smithy-typescript/blob/main/packages/types/src/http/httpHandlerInitialization.ts
 */
export const CONNECTION_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export function clientConfig(config: AwsConfig, options: { requestTimeoutMs?: number } = {}) {
  quietSdkNodeVersionWarning();
  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    ...(config.endpointUrl === undefined ? {} : { endpoint: config.endpointUrl }),
    // Adaptive retries slow the client down when AWS throttles, instead of failing the rollout.
    retryMode: 'adaptive',
    maxAttempts: 8,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}

interface Sends {
  send(command: unknown, options?: unknown): Promise<unknown>;
}

/**
 * Makes every call of `client` end when `signal` aborts (Ctrl-C, SIGTERM, the run's deadline): the SDK
 * passes `abortSignal` to the request handler, which destroys the request in flight and stops retrying.
 * https://aws.amazon.com/blogs/developer/abortcontroller-in-modular-aws-sdk-for-javascript/
 */
export function abortWith<C extends Sends>(
  client: C,
  signal: AbortSignal | undefined,
  /** Calls that change AWS, let finish once sent: their outcome is then known and reported (bounded by the request timeout). */
  completes: (command: unknown) => boolean = () => false,
): C {
  if (signal === undefined) return client;
  const send = client.send.bind(client);
  client.send = ((command: unknown, options?: Record<string, unknown>) =>
    completes(command) ? send(command, options) : send(command, { abortSignal: signal, ...options })) as C['send'];
  return client;
}
