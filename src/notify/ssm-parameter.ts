/**
 * SSM GetParameter (with decryption), for the one SecureString the Lambda functions read: the notification URLs.
 *
 * Why not @aws-sdk/client-ssm: its serialisation schema covers all of SSM's ~150 operations and does not
 * tree-shake, so it added about 208 KB minified (46 KB to the zip) for this one call, and took the Lambda zip
 * past its 400 KiB budget (BENCHMARKS.md). This call uses what the bundle already has from the other clients:
 * the default credential chain and Signature Version 4 signing. The request is SSM's JSON 1.1 protocol
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html), with errors as
 * `{"__type": "...#ParameterNotFound", "message": ...}`
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SourceData } from '@smithy/types';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 (or its HMAC with a key) in the shape SignatureV4 asks for. */
class Sha256 {
  private hash: Hash | Hmac;
  private readonly secret: Uint8Array | string | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : bytes(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.hash.update(typeof data === 'string' ? data : bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function bytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

export class SsmParameterError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface SsmCallOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

/** The decrypted value of one parameter; throws SsmParameterError (named like the SDK's errors) on failure. */
export async function getSecureParameter(name: string, { env, timeoutMs }: SsmCallOptions): Promise<string> {
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (region === undefined || region === '') throw new SsmParameterError('ConfigError', 'no AWS_REGION to call SSM in');
  // As the SDK does: a service-specific endpoint, then the general one, then SSM's regional endpoint.
  const endpoint = new URL(env['AWS_ENDPOINT_URL_SSM'] ?? env['AWS_ENDPOINT_URL'] ?? `https://ssm.${region}.amazonaws.com`);
  const body = JSON.stringify({ Name: name, WithDecryption: true });
  // Lambda puts the role's credentials in the environment; elsewhere the SDK's default chain finds them.
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = env['AWS_SESSION_TOKEN'];
  const credentials =
    accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : defaultProvider();
  const signer = new SignatureV4({ service: 'ssm', region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port === '' ? {} : { port: Number(endpoint.port) }),
    path: endpoint.pathname,
    query: {},
    headers: {
      host: endpoint.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonSSM.GetParameter',
    },
    body,
  });
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: signed.headers,
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let answer: { Parameter?: { Value?: unknown }; __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // an answer that is not JSON (a proxy's error page) is reported by its status below
  }
  if (!response.ok) {
    const code = typeof answer.__type === 'string' ? (answer.__type.split('#').pop() ?? answer.__type) : `HTTP${response.status}`;
    const message =
      typeof answer.message === 'string' ? answer.message : typeof answer.Message === 'string' ? answer.Message : `SSM answered ${response.status}`;
    throw new SsmParameterError(code, message);
  }
  const value = answer.Parameter?.Value;
  if (typeof value !== 'string') throw new SsmParameterError('InvalidResponse', 'SSM answered without the parameter value');
  return value;
}
