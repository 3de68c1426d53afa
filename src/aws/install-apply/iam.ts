/** install's IAM handler: the functions' role, its trust policy and its inline policy. */
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  type IAMClient,
  ListPolicyVersionsCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { accountOfArn } from '../../core/arn.js';
import { OperationFailedError } from '../../core/errors.js';
import { tagList } from '../install-clients.js';
import type { ActionOf, ApplyContext, Learned, ServiceHandler } from './context.js';

type IamKind =
  | 'create-role'
  | 'update-trust-policy'
  | 'put-role-policy'
  | 'create-managed-policy'
  | 'update-managed-policy'
  | 'attach-role-policy'
  | 'detach-role-policy'
  | 'delete-managed-policy';

/** IAM keeps at most five versions of a managed policy; the oldest non-default one makes room. */
const MAX_POLICY_VERSIONS = 5;

/** The policy's versions other than the default, oldest first. */
async function oldVersions(iam: IAMClient, arn: string): Promise<string[]> {
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
  return versions
    .filter((version) => version.IsDefaultVersion !== true && version.VersionId !== undefined)
    .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))
    .map((version) => version.VersionId ?? '');
}

/** A managed policy with its versions (IAM refuses to delete one that has others than the default). */
export async function deleteManagedPolicy(iam: IAMClient, arn: string): Promise<void> {
  for (const version of await oldVersions(iam, arn)) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: version }));
  await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
}

export function iamHandler(context: ApplyContext): ServiceHandler<IamKind> {
  const { iam } = context.clients;
  return {
    kinds: [
      'create-role',
      'update-trust-policy',
      'put-role-policy',
      'create-managed-policy',
      'update-managed-policy',
      'attach-role-policy',
      'detach-role-policy',
      'delete-managed-policy',
    ],
    async apply(action: ActionOf<IamKind>): Promise<Learned> {
      switch (action.kind) {
        case 'create-role': {
          const answer = await iam.send(
            new CreateRoleCommand({
              RoleName: action.role,
              AssumeRolePolicyDocument: JSON.stringify(action.trustPolicy),
              Description: `ecs-roll webhook functions (install ${context.install})`,
              Tags: tagList(action.tags),
            }),
          );
          const account = answer.Role?.Arn === undefined ? undefined : accountOfArn(answer.Role.Arn);
          if (account === undefined) throw new OperationFailedError(`CreateRole answered without a role ARN to read the account from`);
          return { account };
        }
        case 'update-trust-policy':
          await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: action.role, PolicyDocument: JSON.stringify(action.trustPolicy) }));
          return {};
        case 'put-role-policy':
          await iam.send(
            new PutRolePolicyCommand({ RoleName: action.role, PolicyName: action.policyName, PolicyDocument: JSON.stringify(action.document) }),
          );
          return {};
        case 'create-managed-policy':
          await iam.send(
            new CreatePolicyCommand({
              PolicyName: action.policyName,
              Path: action.path,
              PolicyDocument: JSON.stringify(action.document),
              Description: `ecs-roll worker permissions that do not fit its inline policy (install ${context.install})`,
              Tags: tagList(action.tags),
            }),
          );
          return {};
        case 'update-managed-policy': {
          const old = await oldVersions(iam, action.arn);
          if (old.length >= MAX_POLICY_VERSIONS - 1) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: action.arn, VersionId: old[0] }));
          await iam.send(
            new CreatePolicyVersionCommand({ PolicyArn: action.arn, PolicyDocument: JSON.stringify(action.document), SetAsDefault: true }),
          );
          return {};
        }
        case 'attach-role-policy':
          await iam.send(new AttachRolePolicyCommand({ RoleName: action.role, PolicyArn: action.arn }));
          return {};
        case 'detach-role-policy':
          await iam.send(new DetachRolePolicyCommand({ RoleName: action.role, PolicyArn: action.arn }));
          return {};
        case 'delete-managed-policy':
          await deleteManagedPolicy(iam, action.arn);
          return {};
      }
    },
  };
}
