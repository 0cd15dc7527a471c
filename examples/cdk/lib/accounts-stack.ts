import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface AccountsStackProps extends StackProps {
  /** The organizations-account function (sam-template.yaml's CustomResourceFunction). */
  readonly functionArn: string;
  readonly workloadsOuId: string;
  readonly sandboxOuId: string;
  readonly queryIntervalSeconds: number;
}

/** What one member account needs from the platform team. */
interface Account {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly ou: string;
  readonly team: string;
  /** Long-lived accounts outlive the stack; sandboxes are closed with it. */
  readonly sandbox?: boolean;
}

export class AccountsStack extends Stack {
  constructor(scope: Construct, id: string, props: AccountsStackProps) {
    super(scope, id, props);
    // The function is in this account: the framework's roles get lambda:InvokeFunction on it.
    const fn = lambda.Function.fromFunctionAttributes(this, 'AccountsFunction', {
      functionArn: props.functionArn,
      sameEnvironment: true,
    });
    // The same function answers onEvent and isComplete: a creation that outlasts one onEvent
    // invocation is finished through isComplete, which the framework calls every queryInterval.
    const provider = new cr.Provider(this, 'AccountsProvider', {
      onEventHandler: fn,
      isCompleteHandler: fn,
      queryInterval: Duration.seconds(props.queryIntervalSeconds),
      totalTimeout: Duration.hours(1),
    });

    const accounts: Account[] = [
      { id: 'Payments', name: 'Payments', email: 'payments-aws@example.com', ou: props.workloadsOuId, team: 'payments' },
      { id: 'Search', name: 'Search', email: 'search-aws@example.com', ou: props.workloadsOuId, team: 'search' },
      { id: 'Sandbox', name: 'Platform Sandbox', email: 'platform-sandbox-aws@example.com', ou: props.sandboxOuId, team: 'platform', sandbox: true },
    ];
    for (const account of accounts) {
      const resource = new CustomResource(this, account.id, {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::OrganizationsAccount',
        properties: {
          AccountName: account.name,
          Email: account.email,
          ParentIds: [account.ou],
          IamUserAccessToBilling: 'DENY',
          Tags: [{ Key: 'team', Value: account.team }],
          // REFUSE (the default) keeps an account whatever happens to the stack; a sandbox
          // is closed when the stack or the resource goes.
          DeletionMode: account.sandbox ? 'CLOSE' : 'REFUSE',
        },
        removalPolicy: account.sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      });
      new CfnOutput(this, `${account.id}AccountId`, { value: resource.ref });
      new CfnOutput(this, `${account.id}Arn`, { value: resource.getAttString('Arn') });
    }
  }
}
