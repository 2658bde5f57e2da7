import { decide, loadBundleFromFiles, type PolicyBundle } from '@warden/policy';
import { describe, expect, it } from 'vitest';
import { explicitlyGranted } from '../../src/decisions/decide-service.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: llm, owner: alice@example.test }
spec:
  rules:
    - id: hosted-docs
      effect: allow
      tools: ["llm.openai.*"]
      when: 'has(args.hosted_tools) && args.hosted_tools.all(t, !t.startsWith("mcp:") || t == "mcp:docs")'
    - id: models
      effect: allow
      tools: ["llm.*"]
    - id: no-secrets-model
      effect: deny
      tools: ["llm.openai.secret"]
`;

const GUARDRAIL = `apiVersion: warden/v1
kind: Guardrail
metadata: { name: watch, owner: alice@example.test }
spec:
  rules:
    - id: watch-hosted
      effect: review
      tools: ["llm.anthropic.*"]
      when: 'size(args.hosted_tools) > 0'
      approval: { approvers: ["group:ops"] }
`;

function bundle(): PolicyBundle {
  const loaded = loadBundleFromFiles([
    { path: 'llm.yaml', text: POLICY },
    { path: 'watch.yaml', text: GUARDRAIL },
  ]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded));
  return loaded.bundle;
}

/** The rule that lets a hosted MCP tool through: only a grant that reads `args.hosted_tools`. */
describe('explicitlyGranted (hosted tools)', () => {
  const b = bundle();
  const check = (tool: string, hosted: string[], grants?: { id: string; tools: string[] }[]) => {
    const decision = decide(b, {
      agent: { id: 'a', ...(grants ? { grants } : {}) },
      tool,
      args: { hosted_tools: hosted },
    });
    return { effect: decision.effect, explicit: explicitlyGranted(b, decision, 'hosted_tools') };
  };

  it('is granted by a matched rule that reads args.hosted_tools', () => {
    expect(check('llm.openai.gpt-4o', ['mcp:docs', 'web_search'])).toEqual({
      effect: 'allow',
      explicit: true,
    });
  });

  it('is not granted by a broad allow when the rule on hosted_tools does not match', () => {
    expect(check('llm.openai.gpt-4o', ['mcp:docs', 'mcp:payments'])).toEqual({
      effect: 'allow',
      explicit: false,
    });
    expect(check('llm.mistral.large', ['mcp:docs'])).toEqual({ effect: 'allow', explicit: false });
  });

  it('is not granted by a Guardrail rule that reads it, nor by a temporary grant of the model', () => {
    expect(check('llm.anthropic.claude', ['mcp:docs'])).toEqual({ effect: 'review', explicit: false });
    const granted = decide(b, {
      agent: { id: 'a', grants: [{ id: 'grt_1', tools: ['other.tool'] }] },
      tool: 'other.tool',
      args: { hosted_tools: ['mcp:docs'] },
    });
    expect(granted.code).toBe('grant');
    expect(explicitlyGranted(b, granted, 'hosted_tools')).toBe(false);
  });

  it('leaves a deny as the policy gave it', () => {
    expect(check('llm.openai.secret', ['mcp:docs'])).toEqual({ effect: 'deny', explicit: true });
  });
});
