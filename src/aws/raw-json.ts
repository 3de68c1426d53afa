import type { Readable } from 'node:stream';

/**
 * The AWS SDK keeps only the fields its model knows, both when it reads an answer and when it sends a request.
 * A task definition setting AWS added after this SDK build (as it did with `enableFaultInjection`, container
 * `restartPolicy` or `versionConsistency`) would vanish from a copy without any error. These helpers let the
 * adapter see the answer as ECS sent it and name what the SDK's parse left out.
 */

interface RawResponse {
  body?: unknown;
}

interface MiddlewareStackLike {
  addRelativeTo(
    middleware: (next: (args: unknown) => Promise<{ response: unknown }>) => (args: unknown) => Promise<{ response: unknown }>,
    options: { relation: 'after'; toMiddleware: string; name: string },
  ): void;
}

async function readAll(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Installs on one command a middleware that keeps a copy of the raw response body. It sits right after the
 * deserializer (so closest to the wire), reads the body and hands the deserializer the same bytes.
 */
export function captureRawBody(command: { middlewareStack: unknown }): () => string | undefined {
  let raw: string | undefined;
  (command.middlewareStack as MiddlewareStackLike).addRelativeTo(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as RawResponse;
      if (response?.body !== undefined) {
        const bytes = await readAll(response.body);
        raw = Buffer.from(bytes).toString('utf8');
        response.body = bytes;
      }
      return result;
    },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'ecsRollRawBody' },
  );
  return () => raw;
}

/**
 * Paths of the fields present in `raw` (as ECS sent it) that the SDK's parse (`parsed`) does not hold, such as
 * `enableFaultInjection` or `containerDefinitions[0].restartPolicy`. Values (strings, numbers, nulls) are
 * compared only for presence; maps such as `dockerLabels` keep their keys through the SDK, so they compare too.
 */
export function fieldsTheSdkDropped(raw: unknown, parsed: unknown, path = ''): string[] {
  if (Array.isArray(raw)) {
    if (!Array.isArray(parsed)) return raw.length === 0 ? [] : [path];
    return raw.flatMap((item, index) => fieldsTheSdkDropped(item, parsed[index], `${path}[${index}]`));
  }
  if (raw === null || typeof raw !== 'object') return [];
  if (parsed === null || typeof parsed !== 'object' || parsed instanceof Date) return [path];
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null) continue;
    const inner = (parsed as Record<string, unknown>)[key];
    const here = path === '' ? key : `${path}.${key}`;
    if (inner === undefined) dropped.push(here);
    else dropped.push(...fieldsTheSdkDropped(value, inner, here));
  }
  return dropped;
}

/** The task definition fields ECS sent that the SDK's parse dropped; none when the raw answer is unavailable. */
export function unmodelledTaskDefinitionFields(raw: string | undefined, parsed: unknown): string[] {
  if (raw === undefined) return [];
  try {
    return fieldsTheSdkDropped((JSON.parse(raw) as { taskDefinition?: unknown }).taskDefinition, parsed);
  } catch {
    return [];
  }
}
