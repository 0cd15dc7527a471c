// The CDK provider framework, really run: a `custom_resources.Provider` whose onEvent and
// isComplete handlers are the function under test is synthesized with aws-cdk-lib, and the
// framework functions it generates (framework.onEvent, framework.isComplete,
// framework.onTimeout, loaded from the synthesized asset) are served here behind a local Lambda
// Invoke API, with a stand-in for Step Functions that plays the generated waiter state machine
// (its Retry interval, attempts and backoff, then its Catch into onTimeout). The framework's own
// calls go out through the AWS SDK clients it requires: Lambda (the user function, at
// AWS_ENDPOINT_URL_LAMBDA) and Step Functions (this host, at AWS_ENDPOINT_URL_SFN). Its answers
// go to the ResponseURL over HTTPS on port 443 (it ignores the URL's port), which this host
// also serves on the loopback address given, with a certificate of a throwaway CA that Node
// trusts through NODE_EXTRA_CA_CERTS; every PUT is kept and listed at GET /_answers.
//
// usage: node host.js --port P --https-host 127.0.0.N --cert CERT --key KEY
//        (--template FILE | --outdir DIR --user-function ARN [--query-interval S] [--total-timeout S])
// Prints "ready" on stdout once both listeners are up. Loopback only.

'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const host of [args['https-host']]) {
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`loopback only, not ${host}`);
}

// 1. The synthesized stack: a CDK app's (--template, its assets beside it), or a Provider
// synthesized here exactly as a CDK app declares one.
let template;
if (args.template) {
  template = JSON.parse(fs.readFileSync(args.template, 'utf8'));
  args.outdir = path.dirname(args.template);
} else {
  const cdk = require('aws-cdk-lib');
  const cr = require('aws-cdk-lib/custom-resources');
  const lambda = require('aws-cdk-lib/aws-lambda');
  const app = new cdk.App({ outdir: args.outdir });
  const stack = new cdk.Stack(app, 'accounts', { env: { account: '123456789012', region: 'us-east-1' } });
  const fn = lambda.Function.fromFunctionArn(stack, 'Accounts', args['user-function']);
  new cr.Provider(stack, 'AccountsProvider', {
    onEventHandler: fn,
    isCompleteHandler: fn,
    queryInterval: cdk.Duration.seconds(Number(args['query-interval'] || 1)),
    totalTimeout: cdk.Duration.seconds(Number(args['total-timeout'] || 120)),
  });
  template = app.synth().getStackByName('accounts').template;
}

// 2. Read back the generated functions (handler, environment, code) and the waiter.
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:accounts-waiter';
const functions = {};
let waiter = null;
for (const [id, resource] of Object.entries(template.Resources)) {
  if (resource.Type === 'AWS::Lambda::Function') {
    const [file, handler] = resource.Properties.Handler.split('.');
    const asset = path.join(args.outdir, 'asset.' + resource.Properties.Code.S3Key.replace(/\.zip$/, ''));
    functions[handler] = { id, module: path.join(asset, file + '.js'), env: resource.Properties.Environment.Variables };
  }
  if (resource.Type === 'AWS::StepFunctions::StateMachine') {
    const parts = resource.Properties.DefinitionString['Fn::Join'][1];
    const definition = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : `arn:${p['Fn::GetAtt'][0]}`)).join(''));
    const task = definition.States[definition.StartAt];
    waiter = { retry: task.Retry[0], catchTo: definition.States[task.Catch[0].Next].Resource };
  }
}
for (const name of ['onEvent', 'isComplete', 'onTimeout']) {
  if (!functions[name]) throw new Error(`the synthesized Provider has no framework.${name}`);
}
// Every framework function sees the environment CloudFormation would give it.
for (const f of Object.values(functions)) {
  for (const [k, v] of Object.entries(f.env)) {
    process.env[k] = typeof v === 'string' ? v : STATE_MACHINE_ARN;
  }
}
// Lambda runs each concurrent framework invocation in an instance of its own, with an AWS SDK
// client of its own. Here they share one module, whose Lambda client (a module-level singleton)
// holds at most 50 sockets: the 51st concurrent invocation would wait for one of the first 50 to
// return, which no real deployment does. Agents made from here on have no such limit.
{
  const Agent = http.Agent;
  http.Agent = class extends Agent {
    constructor(options = {}) { super({ ...options, maxSockets: Infinity }); }
  };
}
const framework = require(functions.onEvent.module);

// 3. A Lambda function as Lambda runs it: the result, or a function error with its payload.
async function invoke(handler, payload) {
  try {
    const result = await framework[handler](payload, { functionName: handler });
    return { error: false, body: JSON.stringify(result === undefined ? null : result) };
  } catch (e) {
    return {
      error: true,
      body: JSON.stringify({ errorType: e.name || 'Error', errorMessage: e.message, trace: String(e.stack || '').split('\n') }),
    };
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const stats = { onEvent: 0, isComplete: 0, onTimeout: 0, executions: 0 };

// 4. The waiter state machine: the isComplete task, retried on any error as its Retry says,
// then its Catch into onTimeout with the error Step Functions would pass on.
async function execute(input) {
  const { IntervalSeconds, MaxAttempts, BackoffRate } = waiter.retry;
  for (let attempt = 0; ; attempt += 1) {
    stats.isComplete += 1;
    const out = await invoke('isComplete', JSON.parse(input));
    if (!out.error) return;
    if (attempt >= MaxAttempts) {
      const cause = JSON.parse(out.body);
      stats.onTimeout += 1;
      await invoke('onTimeout', { Error: cause.errorType, Cause: out.body });
      return;
    }
    await sleep(1000 * IntervalSeconds * Math.pow(BackoffRate, attempt));
  }
}

const read = (req) => new Promise((ok) => { const chunks = []; req.on('data', (c) => chunks.push(c)); req.on('end', () => ok(Buffer.concat(chunks).toString())); });
const reply = (res, status, body, headers = {}) => { res.writeHead(status, { 'Content-Type': 'application/json', ...headers }); res.end(body); };

// 5. The ResponseURL: HTTPS on 443, every PUT kept in order.
const answers = [];
https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) }, async (req, res) => {
  const body = await read(req);
  answers.push({ method: req.method, path: req.url, body });
  reply(res, 200, '');
}).listen(443, args['https-host'], () => {
  http.createServer(async (req, res) => {
    const body = await read(req);
    const lambdaInvoke = req.url.match(/^\/2015-03-31\/functions\/([^/]+)\/invocations/);
    if (req.method === 'POST' && lambdaInvoke) {
      const handler = decodeURIComponent(lambdaInvoke[1]);
      if (!['onEvent', 'isComplete', 'onTimeout'].includes(handler)) return reply(res, 404, '{}');
      if (handler === 'onEvent') stats.onEvent += 1;
      if (req.headers['x-amz-invocation-type'] === 'Event') {
        invoke(handler, JSON.parse(body));
        return reply(res, 202, '');
      }
      const out = await invoke(handler, JSON.parse(body));
      return reply(res, 200, out.body, out.error ? { 'X-Amz-Function-Error': 'Unhandled' } : {});
    }
    if (req.method === 'POST' && req.headers['x-amz-target'] === 'AWSStepFunctions.StartExecution') {
      const request = JSON.parse(body);
      if (request.stateMachineArn !== STATE_MACHINE_ARN) return reply(res, 400, JSON.stringify({ __type: 'StateMachineDoesNotExist' }));
      stats.executions += 1;
      execute(request.input);
      return reply(res, 200, JSON.stringify({ executionArn: `${STATE_MACHINE_ARN}:${stats.executions}`, startDate: Date.now() / 1000 }), { 'Content-Type': 'application/x-amz-json-1.0' });
    }
    if (req.method === 'GET' && req.url === '/_answers') return reply(res, 200, JSON.stringify(answers));
    if (req.method === 'GET' && req.url === '/_stats') return reply(res, 200, JSON.stringify({ ...stats, waiter: waiter.retry, functions: Object.keys(functions) }));
    return reply(res, 404, '{}');
  }).listen(Number(args.port), '127.0.0.1', () => console.log('ready'));
});
