/** install's IAM handler: the functions' role, its trust policy and its inline policy. */
import { CreateRoleCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { accountOfArn } from '../../core/arn.js';
import { OperationFailedError } from '../../core/errors.js';
import { tagList } from '../install-clients.js';
import type { ActionOf, ApplyContext, Learned, ServiceHandler } from './context.js';

type IamKind = 'create-role' | 'update-trust-policy' | 'put-role-policy';

export function iamHandler(context: ApplyContext): ServiceHandler<IamKind> {
  const { iam } = context.clients;
  return {
    kinds: ['create-role', 'update-trust-policy', 'put-role-policy'],
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
          await iam.send(new PutRolePolicyCommand({ RoleName: action.role, PolicyName: action.policyName, PolicyDocument: JSON.stringify(action.document) }));
          return {};
      }
    },
  };
}
