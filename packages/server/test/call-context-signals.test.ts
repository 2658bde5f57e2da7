import { describe, expect, it } from 'vitest';
import { callContext } from '../src/decisions/call-context.js';
import { WardenError } from '../src/errors.js';

function refusal(run: () => unknown): { field?: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof WardenError)
      return { ...(error.details as { field?: string }), message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('agent signals through the MCP gateway and the LLM proxy', () => {
  it('reads signals from _meta.warden, which wins over the Warden-Signals header', () => {
    const headers = new Headers({ 'warden-signals': '{"confidence": 0.4, "channel": "chat"}' });
    expect(callContext(undefined, headers, 'llm')).toEqual({
      interface: 'llm',
      signals: { confidence: 0.4, channel: 'chat' },
    });
    expect(callContext({ warden: { signals: { confidence: 0.9 } } }, headers).signals).toEqual({
      confidence: 0.9,
    });
  });

  it('refuses a header that is not a JSON object of signals, naming the header', () => {
    const notJson = refusal(() =>
      callContext(undefined, new Headers({ 'warden-signals': 'confidence=0.4' })),
    );
    expect(notJson.message).toContain('header warden-signals');
    const wrongKind = refusal(() =>
      callContext(undefined, new Headers({ 'warden-signals': '{"confidence": [1]}' })),
    );
    expect(wrongKind.message).toContain('header warden-signals.confidence');
  });

  it('refuses a bad signal in _meta.warden, naming it', () => {
    const bad = refusal(() => callContext({ warden: { signals: { confidence: { deep: 1 } } } }, undefined));
    expect(bad.message).toContain('params._meta.warden.signals.confidence');
  });
});
