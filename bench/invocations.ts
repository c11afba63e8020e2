/**
 * When each CloudFormation event reached the custom resource's function. The lifecycle simulator has no hook for
 * this, so the world's Lambda stand-in is wrapped (this instance only) to timestamp each event as it is handed over.
 */
import type { LifecycleWorld } from '../test/lifecycle/world';

export interface Invocation {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly logicalId: string;
  /** Epoch milliseconds, the clock of the fake's request log. */
  readonly startedAt: number;
}

/** Starts recording; the returned array fills as events are delivered. */
export function recordInvocations(world: LifecycleWorld): Invocation[] {
  const invocations: Invocation[] = [];
  const invoke = world.lambda.invokeAsync.bind(world.lambda);
  world.lambda.invokeAsync = (functionArn, event, deliveries) => {
    const { RequestType, LogicalResourceId } = event as {
      RequestType: Invocation['requestType'];
      LogicalResourceId: string;
    };
    invocations.push({ requestType: RequestType, logicalId: LogicalResourceId, startedAt: Date.now() });
    return invoke(functionArn, event, deliveries);
  };
  return invocations;
}
