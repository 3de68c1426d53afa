/**
 * install's applier: carries out a plan's actions one at a time, each by the handler of the AWS
 * service it concerns, resolving the account and API id stand-ins as they become known.
 */
import { OperationFailedError } from '../../core/errors.js';
import { describeAction, resolveAction } from '../../core/install-plan.js';
import type { InstallAction, ObservedApi } from '../../core/install-types.js';
import { apiGatewayHandler } from './apigateway.js';
import type { ApplyContext, Learned, ServiceHandler } from './context.js';
import { iamHandler } from './iam.js';
import { lambdaHandler } from './lambda.js';
import { logsHandler } from './logs.js';
import { snsHandler } from './sns.js';

export class InstallApplier {
  private readonly handlers = new Map<InstallAction['kind'], ServiceHandler<InstallAction['kind']>>();

  constructor(
    private readonly context: ApplyContext,
    existingApi: ObservedApi | undefined,
  ) {
    const all = [iamHandler(context), logsHandler(context), lambdaHandler(context), apiGatewayHandler(context, existingApi), snsHandler(context)];
    for (const handler of all as ServiceHandler<InstallAction['kind']>[]) for (const kind of handler.kinds) this.handlers.set(kind, handler);
  }

  /** One action; answers what it made known. */
  async apply(action: InstallAction): Promise<Learned> {
    const handler = this.handlers.get(action.kind);
    if (handler === undefined) throw new OperationFailedError(`internal: no handler for install action ${action.kind}`);
    return handler.apply(action);
  }

  /**
   * Every action in order, stopping between two when the run is interrupted (a re-run picks up
   * where this one stopped). `known` is filled in as the account and the API id become known.
   */
  async applyAll(actions: readonly InstallAction[], known: { account?: string | undefined; apiId?: string | undefined }): Promise<void> {
    for (const planned of actions) {
      if (this.context.signal.aborted)
        throw new OperationFailedError('interrupted; run install again to finish (it picks up where this run stopped)');
      const action = resolveAction(planned, known);
      const learned = await this.apply(action);
      if (learned.account !== undefined) known.account = learned.account;
      if (learned.apiId !== undefined) known.apiId = learned.apiId;
      this.context.progress.done(describeAction(resolveAction(action, known)));
    }
  }
}
