import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A bundle whose conditions read agent signals and the task's history. */
export const SIGNALS_BUNDLE: Record<string, string> = {
  'signals.yaml': `apiVersion: warden/v1
kind: Signals
metadata: { name: agent-signals }
spec:
  signals:
    confidence: { type: number, default: 1 }
    risk_score: { type: number }
    channel: { type: string, maxLength: 8, default: web }
    human_present: { type: boolean, default: false }
`,
  'policy.yaml': `apiVersion: warden/v1
kind: Policy
metadata: { name: support, owner: alice@example.com }
spec:
  agents: { roles: [support-assistant] }
  rules:
    - id: kb-read
      effect: allow
      tools: [kb.search]
    - id: crm-read
      effect: allow
      tools: [crm.contacts.read]
      label: pii
    - id: email-send
      effect: allow
      tools: [email.send]
    - id: refund
      effect: allow
      tools: [payments.refund]
    - id: first-fifty-ticks
      effect: allow
      tools: [counter.tick]
      when: task.calls < 50
---
apiVersion: warden/v1
kind: Guardrail
metadata: { name: guardrails, owner: security@example.com }
spec:
  rules:
    - id: low-confidence
      effect: review
      tools: [payments.refund, email.send]
      when: signals.confidence < 0.7
      approval: { approvers: ["group:support-leads"] }
    - id: risky-refund
      effect: deny
      tools: [payments.refund]
      when: signals.risk_score > 0.9
    - id: third-failure
      effect: review
      tools: [payments.refund, email.send]
      when: task.failures[tool.name] >= 3
      approval: { approvers: ["group:support-leads"] }
    - id: pii-then-external-email
      effect: deny
      tools: [email.send]
      when: '"pii" in task.labels && !args.to.endsWith("@shop.example")'
`,
};

/** The files in a new temporary directory, a policy directory for a node. */
export function writeBundle(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-signals-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
