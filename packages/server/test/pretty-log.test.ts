import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { formatLogLine, prettyLogStream } from '../src/http/pretty-log.js';
import { LogNotifier } from '../src/notify/notifier.js';
import { type NodeProcess, startProcess, stopProcess } from './helpers/node-process.js';

const examples = new URL('../../../examples/policies', import.meta.url).pathname;

/** A logger configured as createApp configures it, writing the human format into `lines`. */
function prettyLogger(lines: string[]) {
  const app = Fastify({
    logger: { level: 'info', stream: prettyLogStream((text) => lines.push(text)) },
  });
  return app.log;
}

const at = new Date(2026, 5, 1, 9, 5, 7).getTime();

describe('the human log format', () => {
  it('says what a notice is about, for whom, and where to open it', async () => {
    const lines: string[] = [];
    const log = prettyLogger(lines);
    // The notifier used when no channel is configured, as createNotifier wires it.
    const notifier = new LogNotifier((message, data) => log.info(data, message));
    await notifier.notify({
      type: 'approval.request',
      tenantId: 'ten_1',
      recipient: { humanId: 'usr_lena', email: 'lena.fischer@example.com' },
      subject: { type: 'approval', id: 'apr_01' },
      summary: 'Approval needed: agent support-assistant calls payments.refund',
      data: { kind: 'action' },
      at,
      link: 'http://127.0.0.1:7420/v1/approvals/apr_01',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d notice for lena\.fischer@example\.com: Approval needed: agent support-assistant calls payments\.refund {2}→ http:\/\/127\.0\.0\.1:7420\/v1\/approvals\/apr_01\n$/,
    );
  });

  it('names the human by id when the notice has no email, and the subject when there is no link', () => {
    const line = JSON.stringify({
      level: 30,
      time: at,
      msg: 'notification',
      recipient: { humanId: 'usr_9' },
      subject: { type: 'agent', id: 'agt_7' },
      summary: 'agent deploy-agent was suspended',
    });
    expect(formatLogLine(line)).toBe('09:05:07 notice for usr_9: agent deploy-agent was suspended  → agt_7');
  });

  it('prints the level, the message, the error and the request id of other lines, and no JSON', () => {
    const lines: string[] = [];
    const log = prettyLogger(lines);
    log.error(
      { err: new Error('database is locked'), requestId: 'req_42', statusCode: 500 },
      'request errored',
    );
    log.warn('rate limiter unreachable');
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d error {2}request errored {2}Error: database is locked {2}statusCode=500 {2}\[req_42\]\n$/,
    );
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d warn {3}rate limiter unreachable\n$/);
  });

  it('passes a line that is not JSON through as it is', () => {
    expect(formatLogLine('plain text\n')).toBe('plain text');
  });
});

describe('WARDEN_LOG_FORMAT on a running node', () => {
  let node: NodeProcess | undefined;
  afterEach(async () => {
    if (node) await stopProcess(node);
    node = undefined;
  });

  it('json: every log line is a JSON object for a collector', async () => {
    node = await startProcess({
      policyDir: examples,
      env: { WARDEN_LOG_LEVEL: 'info', WARDEN_LOG_FORMAT: 'json' },
    });
    const started = node;
    await expect.poll(() => started.output(), { timeout: 10_000 }).toContain('Server listening at');
    const logLines = started
      .output()
      .split('\n')
      .filter((line) => line.includes('Server listening at'));
    expect(logLines).toHaveLength(1);
    expect(JSON.parse(logLines[0] ?? '')).toMatchObject({
      level: 30,
      msg: expect.stringMatching(/^Server listening at http/),
    });
    // The banner follows the log line; the process may not have printed all of it yet.
    await expect
      .poll(() => started.output(), { timeout: 10_000 })
      .toContain('logs:      JSON lines (WARDEN_LOG_FORMAT=json)');
  }, 60_000);

  it('pretty (the default): the same event as one readable line', async () => {
    node = await startProcess({ policyDir: examples, env: { WARDEN_LOG_LEVEL: 'info' } });
    const started = node;
    await expect.poll(() => started.output(), { timeout: 10_000 }).toContain('Server listening at');
    expect(started.output()).toMatch(
      /^\d\d:\d\d:\d\d info {3}Server listening at http:\/\/127\.0\.0\.1:\d+$/m,
    );
    expect(
      started
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{')),
    ).toEqual([]);
  }, 60_000);
});
