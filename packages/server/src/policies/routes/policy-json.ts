import type { PolicyBundle } from '@warden/policy';

/** A bundle's policies and rules as GET /v1/policies shows them (and the version routes). */
export function policiesJson(bundle: PolicyBundle) {
  return bundle.policies.map((policy) => ({
    name: policy.metadata.name,
    kind: policy.kind,
    description: policy.metadata.description,
    owner: policy.metadata.owner,
    file: policy.source.file,
    agents: policy.agents,
    rules: policy.rules.map((rule) => ({
      id: rule.id,
      effect: rule.effect,
      tools: rule.tools,
      when: rule.when ?? null,
      reason: rule.reason,
      approval: rule.approval ?? null,
      line: rule.source.line,
    })),
  }));
}
