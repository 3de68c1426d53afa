// EC2 for the sandbox: capacity (moto only registers a container instance for an EC2 instance it knows, so
// this runs one and registers it) and a network for awsvpc services. The project has no EC2 SDK client, so
// these speak EC2's query API.
import { RegisterContainerInstanceCommand, type ECSClient } from '@aws-sdk/client-ecs';

/** One EC2 query API call to the sandbox, answered in XML; moto routes it by the credential scope and does not check the signature. */
export async function ec2Query(endpoint: string, action: string, params: Record<string, string> = {}): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Action: action, Version: '2016-11-15', ...params }),
  });
  return response.text();
}

export interface Network {
  readonly vpcId: string;
  readonly subnetId: string;
  readonly securityGroupId: string;
}

/**
 * A VPC with one subnet and one security group, for awsvpc services. The security group is there because moto
 * insists on one in awsvpcConfiguration (AWS would use the VPC's default).
 */
export async function createNetwork(endpoint: string, securityGroup = { name: 'web', description: 'web' }): Promise<Network> {
  const idIn = (xml: string, pattern: RegExp, what: string): string => {
    const id = pattern.exec(xml)?.[1];
    if (id === undefined) throw new Error(`the sandbox answered no ${what} id: ${xml.slice(0, 400)}`);
    return id;
  };
  const vpcId = idIn(await ec2Query(endpoint, 'CreateVpc', { CidrBlock: '10.0.0.0/16' }), /<vpcId>(vpc-[0-9a-f]+)<\/vpcId>/, 'VPC');
  const subnetId = idIn(
    await ec2Query(endpoint, 'CreateSubnet', { VpcId: vpcId, CidrBlock: '10.0.1.0/24' }),
    /<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/,
    'subnet',
  );
  const securityGroupId = idIn(
    await ec2Query(endpoint, 'CreateSecurityGroup', { GroupName: securityGroup.name, GroupDescription: securityGroup.description, VpcId: vpcId }),
    /<groupId>(sg-[0-9a-f]+)<\/groupId>/,
    'security group',
  );
  return { vpcId, subnetId, securityGroupId };
}

/**
 * Runs an EC2 instance in moto and registers it in `cluster` as a container instance:
 * 4096 CPU units, 7482 MiB. Returns the container instance ARN.
 */
export async function addContainerInstance(ecs: ECSClient, endpoint: string, cluster: string): Promise<string> {
  const xml = await ec2Query(endpoint, 'RunInstances', { ImageId: 'ami-12c6146b', MinCount: '1', MaxCount: '1' });
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
