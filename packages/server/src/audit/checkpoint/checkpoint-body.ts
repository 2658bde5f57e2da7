import { type Failure, failure, type Result } from '../../result.js';
import { decodeCanonicalBase64, isCleanText } from './note-text.js';

/** One tree state of one tenant's log, as committed to by a signed checkpoint. */
export interface Checkpoint {
  /** The log's unique name, e.g. `warden.example.com/ten_01ABC`. */
  readonly origin: string;
  readonly size: number;
  /** RFC 6962 Merkle tree hash of the first `size` entries (32 bytes). */
  readonly root: Buffer;
  /** When the checkpoint was made, unix milliseconds. */
  readonly time: number;
}

const ROOT_HASH_BYTES = 32;
const TIME_EXTENSION = 'time ';
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The tlog-checkpoint body: origin, size, base64 root, then our single `time <ms>` extension line.
 * Throws on values that could not be parsed back: that is a bug in the caller, not hostile input.
 */
export function formatCheckpointBody(checkpoint: Checkpoint): string {
  const { origin, size, root, time } = checkpoint;
  if (!isValidOrigin(origin)) throw new Error(`Invalid checkpoint origin ${JSON.stringify(origin)}`);
  if (!isCount(size)) throw new Error(`Invalid checkpoint size ${size}`);
  if (root.length !== ROOT_HASH_BYTES)
    throw new Error(`Checkpoint root must be 32 bytes, got ${root.length}`);
  if (!isCount(time)) throw new Error(`Invalid checkpoint time ${time}`);
  return `${origin}\n${size}\n${root.toString('base64')}\n${TIME_EXTENSION}${time}\n`;
}

/** Parses exactly the shape `formatCheckpointBody` writes; anything else is not one of our checkpoints. */
export function parseCheckpointBody(text: string): Result<{ checkpoint: Checkpoint }, Failure<'malformed'>> {
  const malformed = (message: string) => failure('malformed', message);
  if (!text.endsWith('\n')) return malformed('checkpoint body must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== 4) return malformed(`checkpoint body has ${lines.length} lines, expected 4`);
  const [origin = '', sizeText = '', rootText = '', timeLine = ''] = lines;
  if (!isValidOrigin(origin)) return malformed('bad origin line');
  const size = parseDecimal(sizeText);
  if (size === undefined) return malformed('tree size is not a canonical decimal number');
  const root = decodeCanonicalBase64(rootText);
  if (root?.length !== ROOT_HASH_BYTES) return malformed('root hash is not base64 of 32 bytes');
  if (!timeLine.startsWith(TIME_EXTENSION)) return malformed('missing time extension line');
  const time = parseDecimal(timeLine.slice(TIME_EXTENSION.length));
  if (time === undefined) return malformed('time is not a canonical decimal number');
  return { ok: true, checkpoint: { origin, size, root, time } };
}

/** C2SP asks origins to avoid spaces and "+", which keeps them usable as key names too. */
function isValidOrigin(origin: string): boolean {
  return origin.length > 0 && !/[\s+]/u.test(origin) && isCleanText(origin);
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
