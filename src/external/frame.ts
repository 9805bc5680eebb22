/**
 * The frame protocol between the harness and an external pipeline (SPEC section 7),
 * encoded and decoded in one place. Everything little-endian; floats travel as the
 * raw bits of the frame's dtype (8 bytes float64, 4 float32, 2 float16 and bfloat16).
 *
 * Request (harness → process), header of 20 bytes then the payload:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `"SSX1"` |
 * | 4 | 1 | `op`: 1 losses, 2 losses and gradients |
 * | 5 | 1 | `dtype`: 0 float64, 1 float32, 2 float16, 3 bfloat16 |
 * | 6 | 2 | 0 |
 * | 8 | 4 | `rows` (u32) |
 * | 12 | 4 | `classes` (u32) |
 * | 16 | 4 | `L` (u32), then `L` bytes of UTF-8 JSON: the batch options under PyTorch's names |
 * | 20 + L | rows·classes·size | logits, row-major |
 * | … | 4·rows | targets (i32) |
 *
 * Reply (process → harness): `"SSX1"`, u32 `status`; if `status` ≠ 0, u32 `L` and `L`
 * bytes of UTF-8 message; otherwise `rows` losses in `dtype`, then for op 2
 * `rows × classes` gradient values (∂l_n/∂x_{n,j}, row-major).
 *
 * Values of the half formats live in JavaScript as float32/double values (every
 * half value is one, src/float/dtype.ts); they are converted to and from their
 * 16 bits exactly: float16 through `@petamoriken/float16` (IEEE binary16), bfloat16
 * as the high 16 bits of the float32 encoding (a bfloat16 value's low 16 bits are 0).
 * A value that is not of the dtype is rounded to it first (to nearest, ties to even,
 * never through another format).
 */
import { printable } from '../util/printable.js';
import { getFloat16, setFloat16 } from '@petamoriken/float16';
import type { BatchOptions } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';

/** The four bytes that open every request and reply. */
export const MAGIC = 'SSX1';
const MAGIC_BYTES = Buffer.from(MAGIC, 'latin1');
/** Request header size in bytes, before the options JSON. */
export const REQUEST_HEADER = 20;
/** Reply header size in bytes: magic and status. */
export const REPLY_HEADER = 8;

/** `op` of a request: 1 losses, 2 losses and gradients. */
export type Op = 1 | 2;
export const OP_LOSS: Op = 1;
export const OP_GRAD: Op = 2;

/** The dtype byte of a frame (SPEC 7). */
export const DTYPE_CODE: Readonly<Record<Dtype, number>> = { float64: 0, float32: 1, float16: 2, bfloat16: 3 };
const CODE_DTYPE: readonly Dtype[] = ['float64', 'float32', 'float16', 'bfloat16'];

/** Bytes of one value of a dtype on the wire. */
export function wireSize(dtype: Dtype): number {
  return formatOf(dtype).bits / 8;
}

/** A malformed frame: short, wrong magic, wrong size, a bad field, or a process that answered with status ≠ 0. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** The shape of a batch: what a reply must match. */
export interface FrameShape {
  readonly op: Op;
  readonly dtype: Dtype;
  readonly rows: number;
  readonly classes: number;
}

/** One request: its shape, the options JSON object, logits (rows × classes, row-major) and targets (rows). */
export interface Request extends FrameShape {
  readonly options: Readonly<Record<string, unknown>>;
  readonly logits: ArrayLike<number>;
  readonly targets: ArrayLike<number>;
}

/** A successful reply: `losses` (rows) and, for op 2, `grad` (rows × classes), as doubles holding the dtype's values. */
export interface Reply {
  readonly losses: Float64Array;
  readonly grad: Float64Array | undefined;
}

/**
 * The options JSON of a request (SPEC 7): the batch options of SPEC 6 under PyTorch's names,
 * only those that differ from the defaults (`{}` when none): `weight` (the class weights as
 * given, already rounded to the dtype by the caller when it matters), `ignore_index`,
 * `label_smoothing`. `reduction` and `maskedRows` are not sent: the process returns the
 * per-row losses l_n and the harness reduces them and applies the masked-row convention.
 */
export function optionsJson(o: Pick<BatchOptions, 'ignoreIndex' | 'labelSmoothing'> & { readonly weight: ArrayLike<number> | undefined }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.weight !== undefined) out.weight = Array.from(o.weight);
  if (o.ignoreIndex !== undefined) out.ignore_index = o.ignoreIndex;
  if (o.labelSmoothing !== 0) out.label_smoothing = o.labelSmoothing;
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Writes one value of `dtype` at `offset` (little-endian, its raw bits). */
export function writeValue(view: DataView, offset: number, dtype: Dtype, x: number): void {
  switch (dtype) {
    case 'float64':
      view.setFloat64(offset, x, true);
      return;
    case 'float32':
      view.setFloat32(offset, x, true);
      return;
    case 'float16':
      setFloat16(view, offset, x, true);
      return;
    case 'bfloat16':
      f32[0] = Number.isNaN(x) ? x : formatOf('bfloat16').round(x);
      view.setUint16(offset, u32[0] >>> 16, true);
      return;
  }
}

/** Reads one value of `dtype` at `offset` as a double (exact). */
export function readValue(view: DataView, offset: number, dtype: Dtype): number {
  switch (dtype) {
    case 'float64':
      return view.getFloat64(offset, true);
    case 'float32':
      return view.getFloat32(offset, true);
    case 'float16':
      return getFloat16(view, offset, true);
    case 'bfloat16':
      u32[0] = view.getUint16(offset, true) << 16;
      return f32[0];
  }
}

function checkShape(s: FrameShape): void {
  if (s.op !== OP_LOSS && s.op !== OP_GRAD) throw new FrameError(`op ${String(s.op)}: 1 (losses) or 2 (losses and gradients)`);
  for (const k of ['rows', 'classes'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 0 || s[k] > 0xffffffff) throw new FrameError(`${k} ${s[k]}: a u32`);
  }
}

/** Encodes a request (SPEC 7). Throws FrameError on a shape that does not fit the protocol or arrays of the wrong length. */
export function encodeRequest(req: Request): Buffer {
  checkShape(req);
  const { dtype, rows, classes } = req;
  if (req.logits.length !== rows * classes) throw new FrameError(`logits: ${req.logits.length} values for ${rows} × ${classes}`);
  if (req.targets.length !== rows) throw new FrameError(`targets: ${req.targets.length} values for ${rows} rows`);
  const json = Buffer.from(JSON.stringify(req.options), 'utf8');
  const size = wireSize(dtype);
  const buf = Buffer.alloc(REQUEST_HEADER + json.length + rows * classes * size + 4 * rows);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  MAGIC_BYTES.copy(buf, 0);
  view.setUint8(4, req.op);
  view.setUint8(5, DTYPE_CODE[dtype]);
  view.setUint16(6, 0, true);
  view.setUint32(8, rows, true);
  view.setUint32(12, classes, true);
  view.setUint32(16, json.length, true);
  json.copy(buf, REQUEST_HEADER);
  let at = REQUEST_HEADER + json.length;
  at = writeValues(buf, view, at, dtype, req.logits);
  for (let r = 0; r < rows; r++, at += 4) view.setInt32(at, req.targets[r], true);
  return buf;
}

/** A little-endian host writes and reads float32/float64 arrays as whole blocks of bytes (the wire's order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes `values` of `dtype` from byte `at` on; returns the offset after them. */
function writeValues(buf: Buffer, view: DataView, at: number, dtype: Dtype, values: ArrayLike<number>): number {
  if (LITTLE_ENDIAN && (dtype === 'float32' || dtype === 'float64')) {
    const block = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
    buf.set(new Uint8Array(block.buffer, block.byteOffset, block.byteLength), at);
    return at + block.byteLength;
  }
  const size = wireSize(dtype);
  for (let i = 0; i < values.length; i++, at += size) writeValue(view, at, dtype, values[i]);
  return at;
}

/** Reads `n` values of `dtype` from byte `at` on, as doubles. */
function readValues(buf: Uint8Array, view: DataView, at: number, dtype: Dtype, n: number): Float64Array {
  if (LITTLE_ENDIAN && (dtype === 'float32' || dtype === 'float64')) {
    const bytes = new Uint8Array(n * wireSize(dtype)); // a copy: aligned whatever `at` is (Buffer's slice is a view)
    bytes.set(buf.subarray(at, at + bytes.length));
    return Float64Array.from(dtype === 'float32' ? new Float32Array(bytes.buffer, 0, n) : new Float64Array(bytes.buffer, 0, n));
  }
  const out = new Float64Array(n);
  const size = wireSize(dtype);
  for (let i = 0; i < n; i++, at += size) out[i] = readValue(view, at, dtype);
  return out;
}

function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function checkMagic(buf: Uint8Array, what: string): void {
  if (buf.length < 4) throw new FrameError(`short ${what}: ${buf.length} bytes, not even the magic "${MAGIC}"`);
  if (Buffer.from(buf.buffer, buf.byteOffset, 4).compare(MAGIC_BYTES) !== 0) {
    throw new FrameError(`wrong magic in the ${what}: ${JSON.stringify(Buffer.from(buf.buffer, buf.byteOffset, 4).toString('latin1'))} (hex ${Buffer.from(buf.buffer, buf.byteOffset, 4).toString('hex')}), expected "${MAGIC}"`);
  }
}

/**
 * Decodes a whole request (what an adapter does; the tests and the in-process reference use it).
 * Throws FrameError naming the field at fault.
 */
export function decodeRequest(buf: Uint8Array): Request {
  checkMagic(buf, 'request');
  if (buf.length < REQUEST_HEADER) throw new FrameError(`short request: ${buf.length} bytes, the header has ${REQUEST_HEADER}`);
  const view = viewOf(buf);
  const op = view.getUint8(4);
  const code = view.getUint8(5);
  const dtype = CODE_DTYPE[code];
  if (dtype === undefined) throw new FrameError(`dtype ${code}: 0 float64, 1 float32, 2 float16 or 3 bfloat16`);
  const rows = view.getUint32(8, true);
  const classes = view.getUint32(12, true);
  const L = view.getUint32(16, true);
  checkShape({ op: op as Op, dtype, rows, classes });
  const size = wireSize(dtype);
  const expected = REQUEST_HEADER + L + rows * classes * size + 4 * rows;
  if (buf.length !== expected) throw new FrameError(`wrong size of the request: ${buf.length} bytes, expected ${expected} for ${rows} × ${classes} ${dtype} and ${L} bytes of options`);
  let options: Record<string, unknown>;
  try {
    options = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + REQUEST_HEADER, L).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new FrameError(`options: not JSON (${(err as Error).message})`);
  }
  const logits = readValues(buf, view, REQUEST_HEADER + L, dtype, rows * classes);
  let at = REQUEST_HEADER + L + rows * classes * size;
  const targets = new Int32Array(rows);
  for (let r = 0; r < rows; r++, at += 4) targets[r] = view.getInt32(at, true);
  return { op: op as Op, dtype, rows, classes, options, logits, targets };
}

/** Bytes of a successful reply to a request of this shape. */
export function replySize(s: FrameShape): number {
  return REPLY_HEADER + wireSize(s.dtype) * s.rows * (s.op === OP_GRAD ? 1 + s.classes : 1);
}

/** Encodes a successful reply (status 0): `losses` (rows), and `grad` (rows × classes) for op 2. */
export function encodeReply(s: FrameShape, losses: ArrayLike<number>, grad?: ArrayLike<number>): Buffer {
  checkShape(s);
  if (losses.length !== s.rows) throw new FrameError(`losses: ${losses.length} values for ${s.rows} rows`);
  if (s.op === OP_GRAD && grad?.length !== s.rows * s.classes) throw new FrameError(`gradient: ${grad?.length ?? 0} values for ${s.rows} × ${s.classes}`);
  const buf = Buffer.alloc(replySize(s));
  const view = viewOf(buf);
  MAGIC_BYTES.copy(buf, 0);
  const at = writeValues(buf, view, REPLY_HEADER, s.dtype, losses);
  if (s.op === OP_GRAD && grad !== undefined) writeValues(buf, view, at, s.dtype, grad);
  return buf;
}

/** Encodes a failure reply: status ≠ 0 and its message. */
export function encodeErrorReply(status: number, message: string): Buffer {
  if (!Number.isInteger(status) || status <= 0 || status > 0xffffffff) throw new FrameError(`status ${status}: a u32 other than 0`);
  const text = Buffer.from(message, 'utf8');
  const buf = Buffer.alloc(REPLY_HEADER + 4 + text.length);
  MAGIC_BYTES.copy(buf, 0);
  buf.writeUInt32LE(status, 4);
  buf.writeUInt32LE(text.length, 8);
  text.copy(buf, 12);
  return buf;
}

/** The longest status message a reply may carry, bytes: a longer `L` is refused as soon as its 4 bytes arrive, not after `timeoutMs`. */
export const MAX_STATUS_MESSAGE_BYTES = 1 << 20;

/** Throws FrameError when a status reply's message length `L` is over MAX_STATUS_MESSAGE_BYTES. */
function checkMessageLength(status: number, L: number): void {
  if (L > MAX_STATUS_MESSAGE_BYTES) throw new FrameError(`status ${status} with a message of ${L} bytes, over the ${MAX_STATUS_MESSAGE_BYTES} (1 MiB) a status message may have`);
}

/**
 * How many bytes the whole reply has, from what has arrived so far (the reader of a
 * stream calls it as bytes come in): a number once it is known, undefined while the
 * header is incomplete. Throws FrameError on a wrong magic as soon as 4 bytes are there,
 * and on a status message longer than MAX_STATUS_MESSAGE_BYTES as soon as its length is.
 */
export function expectedReplyBytes(s: FrameShape, head: Uint8Array): number | undefined {
  if (head.length >= 4) checkMagic(head, 'reply');
  if (head.length < REPLY_HEADER) return undefined;
  const status = viewOf(head).getUint32(4, true);
  if (status === 0) return replySize(s);
  if (head.length < REPLY_HEADER + 4) return undefined;
  const L = viewOf(head).getUint32(REPLY_HEADER, true);
  checkMessageLength(status, L);
  return REPLY_HEADER + 4 + L;
}

/**
 * Decodes a whole reply to a request of shape `s` (SPEC 7). Throws FrameError: short (with
 * the byte counts), wrong magic, wrong size, or status ≠ 0 with the process's message.
 */
export function decodeReply(s: FrameShape, buf: Uint8Array): Reply {
  checkMagic(buf, 'reply');
  if (buf.length < REPLY_HEADER) throw new FrameError(`short reply: ${buf.length} bytes, the header has ${REPLY_HEADER}`);
  const view = viewOf(buf);
  const status = view.getUint32(4, true);
  if (status !== 0) {
    if (buf.length < REPLY_HEADER + 4) throw new FrameError(`short reply: status ${status} without its message length`);
    const L = view.getUint32(REPLY_HEADER, true);
    checkMessageLength(status, L);
    if (buf.length !== REPLY_HEADER + 4 + L) throw new FrameError(`wrong size of the reply: status ${status} with ${buf.length - REPLY_HEADER - 4} bytes of a ${L}-byte message`);
    const message = Buffer.from(buf.buffer, buf.byteOffset + REPLY_HEADER + 4, L).toString('utf8');
    // One line, and no control character reaches the terminal (ESC sequences shown as \x1b).
    throw new FrameError(`status ${status}: ${printable(message.replace(/\s+/g, ' ').trim())}`);
  }
  const expected = replySize(s);
  if (buf.length < expected) throw new FrameError(`short reply: ${buf.length} bytes, expected ${expected} (${describe(s)})`);
  if (buf.length > expected) throw new FrameError(`wrong size of the reply: ${buf.length} bytes, expected ${expected} (${describe(s)})`);
  const losses = readValues(buf, view, REPLY_HEADER, s.dtype, s.rows);
  const grad = s.op === OP_GRAD ? readValues(buf, view, REPLY_HEADER + wireSize(s.dtype) * s.rows, s.dtype, s.rows * s.classes) : undefined;
  return { losses, grad };
}

/** "op 2 (losses and gradients), 3 × 10 float32": a frame's shape in messages. */
export function describe(s: FrameShape): string {
  return `op ${s.op} (${s.op === OP_GRAD ? 'losses and gradients' : 'losses'}), ${s.rows} × ${s.classes} ${s.dtype}`;
}
