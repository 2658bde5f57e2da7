import { Badge, Button, Text, Tooltip } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api/client';
import type { AuditEvent, Checkpoint, InclusionProof } from '../../api/types';
import { type ProofCheck, verifyInclusionProof } from '../../lib/inclusion-proof';

/**
 * Checks, in this browser, that the event is in the audit log the node signed: the inclusion proof
 * from the event's leaf hash to the root of a signed checkpoint, and that checkpoint's Ed25519 signature.
 */
export function ProofBadge({ event }: { event: AuditEvent }) {
  const [check, setCheck] = useState<ProofCheck | { ok: false; reason: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function verify() {
    setBusy(true);
    try {
      const [proof, latest] = await Promise.all([
        api.get<InclusionProof>('/v1/audit/proof/inclusion', { event: event.id }),
        api.get<Checkpoint>('/v1/audit/checkpoints/latest'),
      ]);
      if (!proof.checkpoint) {
        setCheck({ ok: false, reason: `no signed checkpoint of size ${proof.size} yet` });
        return;
      }
      setCheck(
        await verifyInclusionProof({
          leafHash: event.leafHash,
          seq: event.seq,
          size: proof.size,
          proof: proof.proof,
          checkpoint: proof.checkpoint,
          verifierKey: latest.verifierKey,
        }),
      );
    } catch (error) {
      setCheck({ ok: false, reason: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  }

  if (!check)
    return (
      <Button
        size="compact-xs"
        variant="default"
        loading={busy}
        onClick={() => void verify()}
        aria-label={`Verify proof of event ${event.id}`}
      >
        Verify proof
      </Button>
    );
  if (!check.ok)
    return (
      <Text size="xs" c="red" role="status">
        Not verified: {check.reason}
      </Text>
    );
  const what =
    check.signature === 'verified'
      ? `In the log of ${check.size} events whose root ${check.root.slice(0, 12)}… is signed by ${check.signedBy} (Ed25519 signature checked here).`
      : `In the log of ${check.size} events with root ${check.root.slice(0, 12)}…; this browser cannot check Ed25519, so the checkpoint's signature was not checked.`;
  return (
    <Tooltip label={what} multiline w={320}>
      <Badge
        color={check.signature === 'verified' ? 'teal.9' : 'dark'}
        variant="filled"
        role="status"
        data-testid="proof-verified"
        tabIndex={0}
      >
        {check.signature === 'verified' ? 'Verified' : 'Proof checked, signature not'}
      </Badge>
    </Tooltip>
  );
}
