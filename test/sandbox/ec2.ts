// EC2 capacity for the sandbox: moto only registers a container instance for an
// EC2 instance it knows, so this runs one (RunInstances) and registers it.
import { RegisterContainerInstanceCommand, type ECSClient } from '@aws-sdk/client-ecs';

/**
 * Runs an EC2 instance in moto and registers it in `cluster` as a container instance:
 * 4096 CPU units, 7482 MiB. Returns the container instance ARN.
 */
export async function addContainerInstance(ecs: ECSClient, endpoint: string, cluster: string): Promise<string> {
  const body = new URLSearchParams({
    Action: 'RunInstances',
    Version: '2016-11-15',
    ImageId: 'ami-12c6146b',
    MinCount: '1',
    MaxCount: '1',
  });
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto routes by the credential scope; it does not check the signature
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body,
  });
  const xml = await response.text();
  const instanceId = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(xml)?.[1];
  if (!instanceId) throw new Error(`RunInstances gave no instance id: ${xml.slice(0, 400)}`);
  const answer = await ecs.send(
    new RegisterContainerInstanceCommand({
      cluster,
      instanceIdentityDocument: JSON.stringify({ instanceId, region: 'us-east-1' }),
    }),
  );
  const arn = answer.containerInstance?.containerInstanceArn;
  if (!arn) throw new Error(`RegisterContainerInstance in ${cluster} answered without an ARN`);
  return arn;
}
