import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafHash as serverLeafHash } from '../../server/src/audit/merkle/hashing.js';
import { request } from '../../server/test/helpers/api.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { leafHash, type ProofInput, toBase64, verifyInclusionProof } from '../src/lib/inclusion-proof.js';

// The console's in-browser proof check, run here on Node's WebCrypto (the same API Chromium has)
// against a real node's proofs and signed checkpoints: what verifies, and what must not.

interface Listed {
  events: { id: string; seq: number; leafHash: string }[];
}

describe('checking an audit event in the browser', () => {
  let t: TestNode;
  let inputs: ProofInput[];

  beforeAll(async () => {
    t = await startTestNode('sqlite');
    // A few more events, so the tree has interior nodes on both sides of each leaf.
    for (let i = 0; i < 6; i++) {
      const res = await request(t.node, 'POST', '/v1/groups', t.adminToken, { name: `group-${i}` });
      expect(res.statusCode).toBe(201);
    }
    const listed = (
      await request(t.node, 'GET', '/v1/audit/events?limit=100', t.adminToken)
    ).json() as Listed;
    inputs = [];
    for (const event of listed.events) {
      const proof = (
        await request(t.node, 'GET', `/v1/audit/proof/inclusion?event=${event.id}`, t.adminToken)
      ).json();
      const latest = (await request(t.node, 'GET', '/v1/audit/checkpoints/latest', t.adminToken)).json();
      inputs.push({
        leafHash: event.leafHash,
        seq: event.seq,
        size: proof.size,
        proof: proof.proof,
        checkpoint: proof.checkpoint,
        verifierKey: latest.verifierKey,
      });
    }
  });

  afterAll(() => t?.close());

  it('hashes a leaf as the node does (RFC 6962: SHA-256 of 0x00 and the body)', async () => {
    for (const body of ['', '{"type":"tenant.create"}', 'ünïcødé ✓']) {
      expect(toBase64(await leafHash(body))).toBe(serverLeafHash(body).toString('base64'));
    }
  });

  it("verifies every event's proof up to the signed checkpoint, signature included", async () => {
    expect(inputs.length).toBeGreaterThan(6);
    for (const input of inputs) {
      const check = await verifyInclusionProof(input);
      expect(check, `seq ${input.seq}`).toMatchObject({ ok: true, signature: 'verified', size: input.size });
    }
  });

  it('refuses a proof for another leaf, a changed proof, or another position', async () => {
    const [first, second] = inputs as [ProofInput, ProofInput];
    expect((await verifyInclusionProof({ ...first, leafHash: second.leafHash })).ok).toBe(false);
    const flipped = [...first.proof];
    flipped[0] = toBase64(new Uint8Array(32).fill(7));
    expect((await verifyInclusionProof({ ...first, proof: flipped })).ok).toBe(false);
    expect((await verifyInclusionProof({ ...first, seq: first.seq + 1 })).ok).toBe(false);
    expect((await verifyInclusionProof({ ...first, proof: first.proof.slice(1) })).ok).toBe(false);
  });

  it('refuses a checkpoint whose root or signature was changed, or a verifier key that does not match', async () => {
    const input = inputs[1] as ProofInput;
    const [origin, size, root, ...rest] = input.checkpoint.split('\n');
    const otherRoot = toBase64(new Uint8Array(32).fill(1));
    const forgedRoot = [origin, size, otherRoot, ...rest].join('\n');
    expect(await verifyInclusionProof({ ...input, checkpoint: forgedRoot })).toMatchObject({ ok: false });
    expect(root).toBeTruthy();

    // The same body, signed by someone else: the signature line's bytes changed.
    const lines = input.checkpoint.split('\n');
    const signatureLine = lines.at(-2) ?? '';
    const [dash, name, encoded = ''] = signatureLine.split(' ');
    const bytes = Buffer.from(encoded, 'base64');
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    lines[lines.length - 2] = [dash, name, bytes.toString('base64')].join(' ');
    expect(await verifyInclusionProof({ ...input, checkpoint: lines.join('\n') })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/does not verify/),
    });

    const [keyName, keyHash, key = ''] = input.verifierKey.split('+');
    const otherKey = Buffer.from(key, 'base64');
    otherKey[5] = (otherKey[5] ?? 0) ^ 0x01;
    expect(
      await verifyInclusionProof({
        ...input,
        verifierKey: `${keyName}+${keyHash}+${otherKey.toString('base64')}`,
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/verifier key/) });
  });
});
