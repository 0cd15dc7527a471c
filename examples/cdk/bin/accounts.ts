#!/usr/bin/env node
// A platform team's member accounts, declared in a CDK app. `cdk deploy` after deploying the
// repository's sam-template.yaml: the function it creates (output CustomResourceServiceToken) is
// both handlers of the Provider. Set the context values in cdk.json (or with -c) to yours.
import { App } from 'aws-cdk-lib';
import { AccountsStack } from '../lib/accounts-stack';

const app = new App();
new AccountsStack(app, 'PlatformAccounts', {
  functionArn: app.node.getContext('accountsFunctionArn'),
  workloadsOuId: app.node.getContext('workloadsOuId'),
  sandboxOuId: app.node.getContext('sandboxOuId'),
  // How often the framework asks whether a creation or closure is done; a creation takes
  // seconds to minutes.
  queryIntervalSeconds: Number(app.node.tryGetContext('queryIntervalSeconds') ?? 15),
});
