import { SIGNATURE_HEADER, signWebhook } from '../../notify/webhook-notifier.js';
import type { AnchorEntry, CheckpointAnchor } from './anchor.js';

export interface WebhookAnchorOptions {
  /** How long one delivery may take; 5 seconds unless set. */
  readonly timeoutMs?: number;
}

/**
 * POSTs each checkpoint as JSON `{ origin, size, note }` to an external receiver (a witness, a SIEM, a
 * transparency service), signed like Warden's other webhooks so the receiver can authenticate it.
 */
export class WebhookAnchor implements CheckpointAnchor {
  private readonly timeoutMs: number;
  /** The URL without query or credentials, for error messages that end up in logs. */
  private readonly displayUrl: string;

  constructor(
    private readonly url: string,
    private readonly secret: string,
    options: WebhookAnchorOptions = {},
  ) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new Error(`Checkpoint webhook URL must be http(s), got ${parsed.protocol}`);
    this.displayUrl = `${parsed.origin}${parsed.pathname}`;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async publish(entry: AnchorEntry): Promise<void> {
    const body = JSON.stringify({ origin: entry.origin, size: entry.size, note: entry.note });
    const signature = signWebhook(this.secret, body, Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Error(`Checkpoint webhook ${this.displayUrl} could not be reached`, { cause: error });
    }
    // The answer's body is of no use, but left unread it would hold the connection open.
    await response.body?.cancel();
    if (!response.ok)
      throw new Error(`Checkpoint webhook ${this.displayUrl} answered HTTP ${response.status}`);
  }
}
