import { StringDecoder } from 'node:string_decoder';

/** One server-sent event as it came: its raw text (to pass on unchanged), its name and its data. */
export interface SseEvent {
  /** The event's lines as received, without the blank line that ended it. */
  readonly raw: string;
  /** `event:` when given (Anthropic names its events; OpenAI's chat stream does not). */
  readonly event?: string;
  /** The `data:` lines joined by newlines; undefined for comments and keep-alives. */
  readonly data?: string;
}

/** The most bytes one event may take: a provider sending more without a blank line is broken. */
const MAX_EVENT_BYTES = 8 * 1_048_576;

/**
 * Splits a byte stream into server-sent events (the WHATWG format: lines, `field: value`, an empty
 * line ends the event; `\n`, `\r\n` or `\r` end lines). Bytes are decoded as UTF-8 across chunk
 * boundaries, so a character split between two network chunks is not broken.
 */
export class SseEventSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';

  /** The events completed by this chunk. */
  push(chunk: Buffer | string): SseEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const events: SseEvent[] = [];
    for (;;) {
      const end = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (!end) break;
      const raw = this.buffer.slice(0, end.index);
      this.buffer = this.buffer.slice(end.index + end[0].length);
      events.push(parse(raw));
    }
    if (this.buffer.length > MAX_EVENT_BYTES) throw new Error('a server-sent event over 8 MiB');
    return events;
  }

  /** What is left when the stream ends: a last event not followed by a blank line, if any. */
  end(): SseEvent[] {
    this.buffer += this.decoder.end();
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest ? [parse(rest)] : [];
  }
}

function parse(raw: string): SseEvent {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of raw.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
  }
  return {
    raw,
    ...(event !== undefined ? { event } : {}),
    ...(data.length > 0 ? { data: data.join('\n') } : {}),
  };
}
