import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { createNode } from '../../src/main.js';
import { otelSettings } from '../../src/telemetry/otel-config.js';
import { bearer, seedAgent } from '../helpers/seed-agent.js';
import { createTestDatabase, EXAMPLE_POLICIES, type TestDatabaseHandle } from '../helpers/test-node.js';

describe('OpenTelemetry settings from OTEL_* variables', () => {
  it('is off by default, on with an OTLP exporter or an endpoint, and off again when disabled', () => {
    expect(otelSettings({}).enabled).toBe(false);
    expect(otelSettings({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({
      enabled: true,
      tracesUrl: 'http://localhost:4318/v1/traces',
      serviceName: 'warden',
      sampler: 'parentbased_always_on',
    });
    expect(otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      enabled: true,
      tracesUrl: 'http://collector:4318/v1/traces',
    });
    expect(
      otelSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/in',
      }).tracesUrl,
    ).toBe('https://traces.example/in');
    expect(
      otelSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).enabled,
    ).toBe(false);
    expect(otelSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(otelSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
  });

  it('reads the service name, resource attributes, headers, sampler and timeout', () => {
    expect(
      otelSettings({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_SERVICE_NAME: 'warden-eu',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=gov%20ops',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-a=1',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=2',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      }),
    ).toEqual({
      enabled: true,
      tracesUrl: 'http://localhost:4318/v1/traces',
      headers: { authorization: 'Bearer abc', 'x-a': '2' },
      timeoutMillis: 2000,
      serviceName: 'warden-eu',
      resourceAttributes: { 'deployment.environment.name': 'prod', team: 'gov ops' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
  });

  it('refuses values it cannot honour, naming the variable, when the configuration loads', () => {
    for (const [env, variable] of [
      [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
      [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER'],
      [{ OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG'],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
      [{ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' }, 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    ] as const) {
      expect(() => loadConfig({ env }), variable).toThrow(ConfigError);
      expect(() => loadConfig({ env }), variable).toThrow(new RegExp(`invalid configuration: ${variable}:`));
    }
  });
});

describe('spans exported over OTLP/HTTP (sqlite)', () => {
  let database: TestDatabaseHandle | undefined;
  let sink: ReturnType<typeof createServer> | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (sink ? sink.close(resolve) : resolve(undefined)));
    await database?.drop();
  });

  it('sends the node’s spans to the configured endpoint, flushed when the node closes', async () => {
    const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => sink?.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as AddressInfo).port;
    database = await createTestDatabase('sqlite');
    const config = loadConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=k1',
        OTEL_SERVICE_NAME: 'warden-test',
      },
      overrides: {
        databaseUrl: database.url,
        dataDir: database.dataDir,
        port: 0,
        logLevel: 'silent',
        sqliteSynchronous: 'normal',
        policyDir: EXAMPLE_POLICIES,
      },
    });
    const node = await createNode(config, { signalNamespace: database.namespace });
    const agent = await seedAgent(node, { roles: ['support-assistant'] });
    const res = await node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: bearer(agent.key),
      payload: { tool: 'kb.articles.search', args: { query: 'x' } },
    });
    expect(res.statusCode).toBe(200);
    await node.close();

    const traces = received.filter((r) => r.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]?.headers['x-collector-key']).toBe('k1');
    const sent = traces.map((r) => JSON.parse(r.body) as OtlpTraces);
    const spans = sent.flatMap((t) => t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
    expect(spans.map((s) => s.name)).toContain('apply_guardrail warden');
    const resource = sent[0]?.resourceSpans[0]?.resource.attributes ?? [];
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'warden-test' } });
  });
});

interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: { key: string; value: unknown }[] };
    scopeSpans: { spans: { name: string }[] }[];
  }[];
}
