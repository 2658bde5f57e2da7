import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type Connection,
  isRecord,
  parseJson,
  RequestFailed,
  serverError,
  unreachable,
} from '../http-client.js';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { VERSION } from '../version.js';
import { checkEnum, checkText, checkTime, stringOf } from './agents-args.js';
import type { AuditCommand } from './audit.js';

const FORMATS = ['jsonl', 'csv'] as const;
/** How long to wait for the answer to start; the download itself may take as long as it takes. */
const HEADERS_TIMEOUT_MS = 60_000;

export const auditExport: AuditCommand = {
  help: `Usage: warden audit export --format <jsonl|csv> [--from <iso>] [--to <iso>] [--out <file>]

Downloads the audit log (admin, auditor), streamed as the server reads it.

  --format jsonl   the verifiable export: events, the signed checkpoints after them and the hashes
                   that tie them together; check it offline with "warden audit verify --file"
  --format csv     one row per event with its opened payload, for spreadsheets (not verifiable)
  --from <iso>     events at or after this time
  --to <iso>       events before this time
  --out <file>     write to this file (replaced only once the download is complete); default stdout
`,
  options: {
    format: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
  },
  prepare(values) {
    const given = stringOf(values, 'format');
    if (given === undefined) throw new UsageError('audit export: --format jsonl or --format csv is required');
    const format = checkEnum('--format', FORMATS, given);
    const query = new URLSearchParams({ format });
    const from = stringOf(values, 'from');
    const to = stringOf(values, 'to');
    if (from !== undefined) query.set('from', checkTime('--from', from));
    if (to !== undefined) query.set('to', checkTime('--to', to));
    const outFlag = stringOf(values, 'out');
    const out = outFlag === undefined ? undefined : checkText('--out', outFlag);
    return async (connection, io) => {
      const response = await openDownload(connection, `/v1/audit/export?${query}`);
      const sink = out === undefined ? stdoutSink(io) : await fileSink(resolve(io.cwd, out));
      let bytes: number;
      try {
        bytes = await copy(response, sink, format, connection.url);
        await sink.finish();
      } catch (error) {
        await sink.abort();
        throw error;
      }
      if (out !== undefined) io.err(`wrote ${bytes} bytes of ${format} to ${out}\n`);
      return EXIT.ok;
    };
  },
};

interface Sink {
  write(chunk: Uint8Array, text: string): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

function stdoutSink(io: CliIo): Sink {
  return {
    write: async (_chunk, text) => io.out(text),
    finish: async () => {},
    abort: async () => {},
  };
}

/** Writes beside the target and renames at the end, so a broken download never looks complete. */
async function fileSink(target: string): Promise<Sink> {
  const partial = `${target}.partial`;
  const stream: WriteStream = createWriteStream(partial, { mode: 0o600 });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new UsageError(`--out: cannot write ${partial}: ${(error as Error).message}`);
  }
  return {
    async write(chunk) {
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async finish() {
      stream.end();
      await once(stream, 'close');
      await rename(partial, target);
    },
    async abort() {
      stream.destroy();
      await unlink(partial).catch(() => {});
    },
  };
}

/**
 * Copies the body to the sink; returns the byte count. A JSONL export must end with its suffix
 * line: without it the stream was cut short, and the file would fail verification for no reason
 * an auditor could see.
 */
async function copy(response: Response, sink: Sink, format: string, url: string): Promise<number> {
  const decoder = new TextDecoder();
  let bytes = 0;
  let tail = '';
  let lastLine = '';
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        const text = decoder.decode(chunk, { stream: true });
        bytes += chunk.byteLength;
        const lines = (tail + text).split('\n');
        tail = lines.pop() ?? '';
        const complete = lines.filter((line) => line !== '').at(-1);
        if (complete !== undefined) lastLine = complete;
        await sink.write(chunk, text);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new RequestFailed(`error: the download from ${url} broke off: ${(error as Error).message}`);
  }
  if (format === 'jsonl' && kindOf(lastLine) !== 'suffix')
    throw new RequestFailed(
      `error: the export from ${url} ended early (no closing suffix line); run it again`,
    );
  return bytes;
}

function kindOf(line: string): unknown {
  try {
    const parsed: unknown = JSON.parse(line);
    return isRecord(parsed) ? parsed.kind : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the download; an error answer becomes RequestFailed with the server's message. */
async function openDownload(connection: Connection, path: string): Promise<Response> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), HEADERS_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(`${connection.url}${path}`, {
      headers: {
        authorization: `Bearer ${connection.token}`,
        'user-agent': `warden-cli/${VERSION}`,
      },
      // Following a redirect could hand the token to another host.
      redirect: 'manual',
      signal: abort.signal,
    });
  } catch (error) {
    throw new RequestFailed(unreachable(connection.url, error, HEADERS_TIMEOUT_MS));
  } finally {
    clearTimeout(timer);
  }
  if (response.ok) return response;
  const parsed = parseJson(await response.text().catch(() => ''));
  throw new RequestFailed(serverError(connection.url, response.status, parsed.ok ? parsed.value : undefined));
}
