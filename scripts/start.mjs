#!/usr/bin/env node
// `npm start`: after the build, show the policy engine at work on the example bundle:
// lint it, run its policy tests, and decide two sample tool calls.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const bundle = 'examples/policies';
const supportAgent = JSON.stringify({
  id: 'agt_support_1',
  name: 'Support assistant',
  roles: ['support-assistant'],
  tier: 'trusted',
  environment: 'production',
  owner: 'maria.lopez@example.com',
});

const evalSupport = (tool, args, ...rest) => [
  'policy',
  'eval',
  bundle,
  '--agent',
  supportAgent,
  '--tool',
  tool,
  '--args',
  args,
  ...rest,
];

const steps = [
  ['Lint the example policy bundle', ['policy', 'lint', bundle]],
  ['Run its policy tests', ['policy', 'test', bundle]],
  [
    'A $750 refund by the support assistant: reviewed by support-leads',
    evalSupport(
      'payments.refund',
      '{"order_id":"ord_1042","amount":750}',
      '--context',
      '{"taskId":"tsk_demo","initiator":"usr_kim","onBehalfOf":"cus_8812"}',
    ),
  ],
  [
    'An email offering a 30% discount: denied',
    evalSupport('email.send', '{"to":"customer@example.org","discount_percent":30}'),
  ],
];

for (const [title, args] of steps) {
  process.stdout.write(
    `\n== ${title}\n$ warden ${args.map((a) => (/[\s{"]/.test(a) ? `'${a}'` : a)).join(' ')}\n\n`,
  );
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
process.stdout.write('\nTry your own: node packages/cli/dist/bin.js policy eval examples/policies --help\n');
