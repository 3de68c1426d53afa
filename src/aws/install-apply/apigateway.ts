/**
 * install's API Gateway handler: the REST API, the webhook's route, its method and integration, the
 * deployment and the stage's throttling. It remembers the ids later actions address.
 */
import {
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { OperationFailedError } from '../../core/errors.js';
import type { ObservedApi } from '../../core/install-types.js';
import type { ActionOf, ApplyContext, Learned, ServiceHandler } from './context.js';

type ApiKind = 'create-rest-api' | 'create-resource' | 'put-method' | 'put-integration' | 'create-deployment' | 'update-stage-throttling';

export function apiGatewayHandler(context: ApplyContext, existing: ObservedApi | undefined): ServiceHandler<ApiKind> {
  const { apigw } = context.clients;
  let apiId = existing?.id;
  const resourceIds = new Map<string, string>();
  if (existing !== undefined) {
    resourceIds.set('/', existing.rootId);
    for (const resource of existing.resources) resourceIds.set(resource.path, resource.id);
  }
  const restApiId = (): string => {
    if (apiId === undefined) throw new OperationFailedError('internal: the REST API is not known yet');
    return apiId;
  };
  const resourceId = (path: string): string => {
    const id = resourceIds.get(path);
    if (id === undefined) throw new OperationFailedError(`internal: API resource ${path} is not known yet`);
    return id;
  };

  return {
    kinds: ['create-rest-api', 'create-resource', 'put-method', 'put-integration', 'create-deployment', 'update-stage-throttling'],
    async apply(action: ActionOf<ApiKind>): Promise<Learned> {
      switch (action.kind) {
        case 'create-rest-api': {
          const answer = await apigw.send(
            new CreateRestApiCommand({
              name: action.api,
              description: `ecs-roll webhook receiver (install ${context.install})`,
              endpointConfiguration: { types: ['REGIONAL'] },
              tags: { ...action.tags },
            }),
          );
          if (answer.id === undefined) throw new OperationFailedError('CreateRestApi answered without an id');
          apiId = answer.id;
          let rootId = answer.rootResourceId;
          if (rootId === undefined) {
            const resources = await apigw.send(new GetResourcesCommand({ restApiId: answer.id }));
            rootId = resources.items?.find((item) => item.path === '/')?.id;
          }
          if (rootId === undefined) throw new OperationFailedError(`REST API ${answer.id} has no root resource`);
          resourceIds.set('/', rootId);
          return { apiId: answer.id };
        }
        case 'create-resource': {
          const answer = await apigw.send(
            new CreateResourceCommand({ restApiId: restApiId(), parentId: resourceId(action.parentPath), pathPart: action.pathPart }),
          );
          if (answer.id === undefined) throw new OperationFailedError(`CreateResource ${action.path} answered without an id`);
          resourceIds.set(action.path, answer.id);
          return {};
        }
        case 'put-method':
          await apigw.send(
            new PutMethodCommand({
              restApiId: restApiId(),
              resourceId: resourceId(action.path),
              httpMethod: action.httpMethod,
              authorizationType: action.authorizationType,
            }),
          );
          return {};
        case 'put-integration':
          await apigw.send(
            new PutIntegrationCommand({
              restApiId: restApiId(),
              resourceId: resourceId(action.path),
              httpMethod: action.httpMethod,
              type: action.type,
              // Lambda proxy integrations are always called with POST, whatever the method.
              integrationHttpMethod: 'POST',
              uri: action.uri,
            }),
          );
          return {};
        case 'create-deployment':
          await apigw.send(
            new CreateDeploymentCommand({ restApiId: restApiId(), stageName: action.stage, description: `ecs-roll install ${context.install}` }),
          );
          return {};
        case 'update-stage-throttling':
          await apigw.send(
            new UpdateStageCommand({
              restApiId: restApiId(),
              stageName: action.stage,
              patchOperations: [
                { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(action.rateLimit) },
                { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(action.burstLimit) },
              ],
            }),
          );
          return {};
      }
    },
  };
}
