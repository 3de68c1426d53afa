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

export function clientConfig(config: AwsConfig) {
  quietSdkNodeVersionWarning();
  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    ...(config.endpointUrl === undefined ? {} : { endpoint: config.endpointUrl }),
    // Adaptive retries slow the client down when AWS throttles, instead of failing the rollout.
    retryMode: 'adaptive',
    maxAttempts: 8,
  };
}
