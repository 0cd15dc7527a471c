// The construct as a CDK user meets it: synthesized with aws-cdk-lib's own assertions.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { App, Stack, RemovalPolicy } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const { Template } = require('aws-cdk-lib/assertions');
const {
  OrganizationsAccount,
  OrganizationsAccountProvider,
  ATTRIBUTE_NAMES,
  PROPERTY_NAMES,
  RESOURCE_TYPE,
} = require('../dist');

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:111122223333:function:organizations-account';

function stack() {
  const s = new Stack(new App(), 'Accounts', { env: { account: '111122223333', region: 'us-east-1' } });
  const handler = lambda.Function.fromFunctionAttributes(s, 'Handler', { functionArn: FUNCTION_ARN, sameEnvironment: true });
  return { s, handler };
}

test('three accounts share one Provider, keep their accounts unless told to close them, and carry the schema names', () => {
  const { s, handler } = stack();
  new OrganizationsAccount(s, 'Payments', {
    handler, accountName: 'Payments', email: 'payments-aws@example.com', parentIds: ['ou-ab12-cd34ef56'],
  });
  new OrganizationsAccount(s, 'Search', {
    handler, accountName: 'Search', email: 'search-aws@example.com', iamUserAccessToBilling: 'DENY',
    tags: [{ key: 'team', value: 'search' }],
    alternateContacts: { security: { name: 'Sec', title: 'Security', emailAddress: 'sec@example.com', phoneNumber: '+1-555-0102' } },
  });
  new OrganizationsAccount(s, 'Sandbox', {
    handler, accountName: 'Sandbox', email: 'sandbox-aws@example.com', deletionMode: 'CLOSE', waitUntilReady: true,
  });
  const template = Template.fromStack(s);
  // One Provider: one waiter state machine for the whole stack.
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  const accounts = template.findResources(RESOURCE_TYPE);
  assert.equal(Object.keys(accounts).length, 3);
  const byName = Object.fromEntries(Object.values(accounts).map((r) => [r.Properties.AccountName, r]));
  assert.equal(byName.Payments.DeletionPolicy, 'Retain');
  assert.equal(byName.Search.DeletionPolicy, 'Retain');
  assert.equal(byName.Sandbox.DeletionPolicy, 'Delete');
  assert.deepEqual(byName.Payments.Properties.ParentIds, ['ou-ab12-cd34ef56']);
  assert.deepEqual(byName.Search.Properties.Tags, [{ Key: 'team', Value: 'search' }]);
  assert.equal(byName.Search.Properties.IamUserAccessToBilling, 'DENY');
  assert.deepEqual(byName.Search.Properties.AlternateContacts, {
    Security: { Name: 'Sec', Title: 'Security', EmailAddress: 'sec@example.com', PhoneNumber: '+1-555-0102' },
  });
  assert.equal(byName.Sandbox.Properties.WaitUntilReady, true);
  assert.equal(byName.Sandbox.Properties.DeletionMode, 'CLOSE');
  // Nothing undeclared is sent, and every name sent is the schema's.
  assert.equal('RoleName' in byName.Payments.Properties, false);
  for (const r of Object.values(accounts)) {
    for (const key of Object.keys(r.Properties)) {
      assert.ok(key === 'ServiceToken' || PROPERTY_NAMES.includes(key), key);
    }
  }
});

test('an explicit removal policy wins', () => {
  const { s, handler } = stack();
  new OrganizationsAccount(s, 'Kept', {
    handler, accountName: 'Kept', email: 'kept@example.com', deletionMode: 'CLOSE', removalPolicy: RemovalPolicy.RETAIN,
  });
  const [resource] = Object.values(Template.fromStack(s).findResources(RESOURCE_TYPE));
  assert.equal(resource.DeletionPolicy, 'Retain');
});

test('every attribute of the schema is a property of the construct', () => {
  for (const name of ATTRIBUTE_NAMES) {
    const getter = name.charAt(0).toLowerCase() + name.slice(1);
    assert.ok(Object.getOwnPropertyDescriptor(OrganizationsAccount.prototype, getter)?.get, `${getter} for ${name}`);
  }
  const { s, handler } = stack();
  const account = new OrganizationsAccount(s, 'A', { handler, accountName: 'A', email: 'a@example.com' });
  assert.deepEqual(s.resolve(account.accountId), { 'Fn::GetAtt': [s.getLogicalId(account.resource.node.defaultChild), 'AccountId'] });
});

test('the Provider takes its options once, and one stack cannot mix handler functions', () => {
  const { s, handler } = stack();
  OrganizationsAccountProvider.of(s, { handler, totalTimeout: require('aws-cdk-lib').Duration.hours(2) });
  new OrganizationsAccount(s, 'A', { handler, accountName: 'A', email: 'a@example.com' });
  const other = lambda.Function.fromFunctionArn(s, 'Other', `${FUNCTION_ARN}-2`);
  assert.throws(
    () => new OrganizationsAccount(s, 'B', { handler: other, accountName: 'B', email: 'b@example.com' }),
    /must use the same handler function/,
  );
  Template.fromStack(s).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
});
