import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { OrganizationsAccountProperties, toResourceProperties } from './generated';

export * from './generated';

/** The resource type the accounts are declared as. */
export const RESOURCE_TYPE = 'Custom::OrganizationsAccount';

export interface OrganizationsAccountProps extends OrganizationsAccountProperties {
  /**
   * The organizations-account function (sam-template.yaml's CustomResourceFunction, deployed
   * in the management account). It answers both the Provider's onEvent and isComplete, once per
   * stack: the first account of a stack makes the Provider, the others reuse it.
   */
  readonly handler: lambda.IFunction;
  /**
   * What CloudFormation does with the account when the resource leaves the stack. Default:
   * RETAIN, unless `deletionMode` is CLOSE or REMOVE (then DESTROY, so that the handler closes
   * or removes the account as the template asked).
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Options of the stack's one Provider, taken when it is made. */
export interface OrganizationsAccountProviderProps {
  readonly handler: lambda.IFunction;
  /**
   * How often the framework asks whether a creation or closure is done. Default 15 seconds (a
   * creation takes seconds to minutes).
   */
  readonly queryInterval?: Duration;
  /**
   * How long it asks, at most. Default 1 hour: a fleet's last account waits its turn for one
   * of Organizations' five creation slots.
   */
  readonly totalTimeout?: Duration;
}

/**
 * The CDK provider framework in front of the organizations-account function: one per stack,
 * whatever the number of accounts (each account's onEvent waits for its creation slot; no
 * DependsOn is needed between accounts).
 */
export class OrganizationsAccountProvider extends Construct {
  /** The stack's Provider, made on first use. */
  public static of(scope: Construct, props: OrganizationsAccountProviderProps): OrganizationsAccountProvider {
    const stack = Stack.of(scope);
    const id = 'OrganizationsAccountProvider';
    const existing = stack.node.tryFindChild(id) as OrganizationsAccountProvider | undefined;
    if (existing === undefined) {
      return new OrganizationsAccountProvider(stack, id, props);
    }
    if (existing.handler !== props.handler) {
      throw new Error(
        `${scope.node.path}: every account of stack ${stack.stackName} must use the same handler function ` +
          `(the stack's one Provider answers them all)`,
      );
    }
    return existing;
  }

  public readonly handler: lambda.IFunction;
  public readonly serviceToken: string;

  private constructor(scope: Construct, id: string, props: OrganizationsAccountProviderProps) {
    super(scope, id);
    this.handler = props.handler;
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: props.handler,
      isCompleteHandler: props.handler,
      queryInterval: props.queryInterval ?? Duration.seconds(15),
      totalTimeout: props.totalTimeout ?? Duration.hours(1),
    });
    this.serviceToken = provider.serviceToken;
  }
}

/**
 * One AWS Organizations member account, typed from the resource schema.
 *
 *     new OrganizationsAccount(this, 'Payments', {
 *       handler, accountName: 'Payments', email: 'payments-aws@example.com', parentIds: [workloadsOu],
 *     });
 */
export class OrganizationsAccount extends Construct {
  /** The custom resource behind the account. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: OrganizationsAccountProps) {
    super(scope, id);
    const { handler, removalPolicy, ...properties } = props;
    const provider = OrganizationsAccountProvider.of(this, { handler });
    const closes = props.deletionMode === 'CLOSE' || props.deletionMode === 'REMOVE';
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: RESOURCE_TYPE,
      properties: toResourceProperties(properties),
      // An account outlives its stack unless the template asked to close or remove it.
      removalPolicy: removalPolicy ?? (closes ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN),
    });
  }

  /** The 12-digit account id (the resource's physical id). */
  public get accountId(): string {
    return this.resource.getAttString('AccountId');
  }

  /** The account's ARN. */
  public get arn(): string {
    return this.resource.getAttString('Arn');
  }

  /** How the account joined the organization (CREATED, or INVITED for an imported one). */
  public get joinedMethod(): string {
    return this.resource.getAttString('JoinedMethod');
  }

  /** When the account joined the organization (RFC 3339). */
  public get joinedTimestamp(): string {
    return this.resource.getAttString('JoinedTimestamp');
  }

  /** The account's status (ACTIVE, SUSPENDED, PENDING_CLOSURE). */
  public get status(): string {
    return this.resource.getAttString('Status');
  }

  /** The account's state (PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED). */
  public get state(): string {
    return this.resource.getAttString('State');
  }

  /** The paired AWS GovCloud (US) account's id: only with `createGovCloudAccount: true`. */
  public get govCloudAccountId(): string {
    return this.resource.getAttString('GovCloudAccountId');
  }
}
