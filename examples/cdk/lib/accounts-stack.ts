import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { OrganizationsAccount, OrganizationsAccountProvider } from 'organizations-account-cdk';

export interface AccountsStackProps extends StackProps {
  /** The organizations-account function (sam-template.yaml's CustomResourceFunction). */
  readonly functionArn: string;
  readonly workloadsOuId: string;
  readonly sandboxOuId: string;
  readonly queryIntervalSeconds: number;
}

export class AccountsStack extends Stack {
  constructor(scope: Construct, id: string, props: AccountsStackProps) {
    super(scope, id, props);
    // The function is in this account: the framework's roles get lambda:InvokeFunction on it.
    const handler = lambda.Function.fromFunctionAttributes(this, 'AccountsFunction', {
      functionArn: props.functionArn,
      sameEnvironment: true,
    });
    // The stack's one Provider (made by the first account otherwise), polling at this interval.
    OrganizationsAccountProvider.of(this, { handler, queryInterval: Duration.seconds(props.queryIntervalSeconds) });

    // Long-lived accounts are kept whatever happens to the stack (RemovalPolicy RETAIN, the
    // construct's default); the sandbox is closed with it (DeletionMode CLOSE).
    const accounts = [
      new OrganizationsAccount(this, 'Payments', {
        handler, accountName: 'Payments', email: 'payments-aws@example.com', parentIds: [props.workloadsOuId],
        iamUserAccessToBilling: 'DENY', tags: [{ key: 'team', value: 'payments' }] }),
      new OrganizationsAccount(this, 'Search', {
        handler, accountName: 'Search', email: 'search-aws@example.com', parentIds: [props.workloadsOuId],
        iamUserAccessToBilling: 'DENY', tags: [{ key: 'team', value: 'search' }] }),
      new OrganizationsAccount(this, 'Sandbox', {
        handler, accountName: 'Platform Sandbox', email: 'platform-sandbox-aws@example.com', parentIds: [props.sandboxOuId],
        iamUserAccessToBilling: 'DENY', tags: [{ key: 'team', value: 'platform' }], deletionMode: 'CLOSE' }),
    ];
    for (const account of accounts) {
      new CfnOutput(this, `${account.node.id}AccountId`, { value: account.accountId });
      new CfnOutput(this, `${account.node.id}Arn`, { value: account.arn });
    }
  }
}
