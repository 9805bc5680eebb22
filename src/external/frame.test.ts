import { getFloat16 } from '@petamoriken/float16';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import {
  decodeReply,
  decodeRequest,
  encodeErrorReply,
  encodeReply,
  encodeRequest,
  expectedReplyBytes,
  FrameError,
  MAX_STATUS_MESSAGE_BYTES,
  optionsJson,
  replySize,
} from './frame.js';

describe('request layout (SPEC 7)', () => {
  it('writes the header, the options JSON, raw little-endian float32 bits and i32 targets', () => {
    const buf = encodeRequest({ op: 1, dtype: 'float32', rows: 1, classes: 2, options: {}, logits: [1, -2], targets: [1] });
    // Built by hand from SPEC 7: "SSX1", op 1, dtype 1, u16 0, rows 1, classes 2, L 2, "{}", 1.0f, -2.0f, target 1.
    const expected = Buffer.from('5353583101010000' + '01000000' + '02000000' + '02000000' + '7b7d' + '0000803f' + '000000c0' + '01000000', 'hex');
    expect(buf.toString('hex')).toBe(expected.toString('hex'));
  });

  it('carries float16 and bfloat16 as 2 bytes of their own bits', () => {
    const h = encodeRequest({ op: 2, dtype: 'float16', rows: 1, classes: 1, options: {}, logits: [65504], targets: [0] });
    expect(h.subarray(22, 24).toString('hex')).toBe('ff7b'); // float16 max: 0x7bff
    expect(h.readUInt8(4)).toBe(2);
    expect(h.readUInt8(5)).toBe(2);
    const b = encodeRequest({ op: 1, dtype: 'bfloat16', rows: 1, classes: 1, options: {}, logits: [-1.5], targets: [0] });
    expect(b.readUInt8(5)).toBe(3);
    expect(b.subarray(22, 24).toString('hex')).toBe('c0bf'); // bfloat16 −1.5: 0xbfc0
  });

  it('round-trips through decodeRequest, options included', () => {
    const req = { op: 2 as const, dtype: 'float64' as const, rows: 2, classes: 3, options: { weight: [1, 0.5, 2], ignore_index: 2 }, logits: [0.1, -Infinity, 1e308, 5e-324, -0, NaN], targets: [0, 2] };
    const back = decodeRequest(encodeRequest(req));
    expect(back.options).toEqual(req.options);
    expect(Array.from(back.logits)).toEqual(req.logits);
    expect(Object.is(back.logits[4], -0)).toBe(true);
    expect(Array.from(back.targets)).toEqual(req.targets);
  });

  it('refuses logits or targets of the wrong length', () => {
    expect(() => encodeRequest({ op: 1, dtype: 'float32', rows: 2, classes: 2, options: {}, logits: [1, 2, 3], targets: [0, 0] })).toThrow(/logits: 3 values for 2 × 2/);
    expect(() => encodeRequest({ op: 1, dtype: 'float32', rows: 2, classes: 2, options: {}, logits: [1, 2, 3, 4], targets: [0] })).toThrow(/targets: 1 values for 2 rows/);
  });
});

describe('options JSON under PyTorch names', () => {
  it('sends only what differs from the defaults', () => {
    expect(optionsJson({ weight: undefined, ignoreIndex: undefined, labelSmoothing: 0 })).toEqual({});
    expect(optionsJson({ weight: new Float64Array([1, 0.25]), ignoreIndex: -100, labelSmoothing: 0.1 })).toEqual({ weight: [1, 0.25], ignore_index: -100, label_smoothing: 0.1 });
  });
});

describe('reply', () => {
  const shape = { op: 2 as const, dtype: 'float32' as Dtype, rows: 2, classes: 2 };

  it('decodes losses then the gradient, exact bits', () => {
    const buf = encodeReply(shape, [Math.fround(0.1), Infinity], [Math.fround(-0.3), 0, NaN, -0]);
    expect(buf.length).toBe(replySize(shape));
    expect(buf.length).toBe(8 + 4 * 2 * 3);
    const r = decodeReply(shape, buf);
    expect(Array.from(r.losses)).toEqual([Math.fround(0.1), Infinity]);
    expect(Array.from(r.grad ?? [])).toEqual([Math.fround(-0.3), 0, NaN, -0]);
    expect(Object.is(r.grad?.[3], -0)).toBe(true);
  });

  it('round-trips every float16 and bfloat16 bit pattern (NaNs stay NaN)', () => {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const s = { op: 1 as const, dtype, rows: 65536, classes: 1 };
      const wire = Buffer.alloc(replySize(s));
      wire.write('SSX1', 0, 'latin1');
      for (let i = 0; i < 65536; i++) wire.writeUInt16LE(i, 8 + 2 * i);
      const values = decodeReply(s, wire).losses;
      const view = new DataView(new ArrayBuffer(4));
      const wrong: number[] = [];
      for (let i = 0; i < 65536; i++) {
        view.setUint32(0, i << 16);
        const direct = dtype === 'float16' ? getFloat16(new DataView(wire.buffer, wire.byteOffset + 8 + 2 * i, 2), 0, true) : view.getFloat32(0);
        if (!(Object.is(values[i], direct) || (Number.isNaN(values[i]) && Number.isNaN(direct)))) wrong.push(i);
      }
      const again = encodeReply(s, values);
      for (let i = 0; i < 65536; i++) {
        if (Number.isNaN(values[i])) continue; // a NaN's payload is not a value
        if (again.readUInt16LE(8 + 2 * i) !== i) wrong.push(i);
      }
      expect(wrong).toEqual([]);
    }
  });

  it('reports the process status and its message', () => {
    expect(() => decodeReply(shape, encodeErrorReply(7, 'no CUDA device\n'))).toThrow(new FrameError('status 7: no CUDA device'));
  });

  it('refuses a status message longer than 1 MiB as soon as its length arrives', () => {
    const head = Buffer.alloc(12);
    head.write('SSX1', 0, 'latin1');
    head.writeUInt32LE(7, 4);
    head.writeUInt32LE(0xfffffff0, 8);
    expect(() => expectedReplyBytes(shape, head)).toThrow(new FrameError('status 7 with a message of 4294967280 bytes, over the 1048576 (1 MiB) a status message may have'));
    head.writeUInt32LE(MAX_STATUS_MESSAGE_BYTES, 8);
    expect(expectedReplyBytes(shape, head)).toBe(12 + MAX_STATUS_MESSAGE_BYTES);
  });

  it('escapes control characters of a status message (one line, no ESC reaches the terminal)', () => {
    expect(() => decodeReply(shape, encodeErrorReply(5, 'a\nb\x1b[31mred\x07'))).toThrow(new FrameError('status 5: a b\\x1b[31mred\\x07'));
  });

  it('names a short reply, a long one and a wrong magic', () => {
    const good = encodeReply(shape, [1, 2], [1, 2, 3, 4]);
    expect(() => decodeReply(shape, good.subarray(0, 20))).toThrow('short reply: 20 bytes, expected 32 (op 2 (losses and gradients), 2 × 2 float32)');
    expect(() => decodeReply(shape, Buffer.concat([good, Buffer.alloc(4)]))).toThrow('wrong size of the reply: 36 bytes, expected 32');
    expect(() => decodeReply(shape, good.subarray(0, 3))).toThrow('short reply: 3 bytes, not even the magic "SSX1"');
    const bad = Buffer.from(good);
    bad.write('SSX2', 0, 'latin1');
    expect(() => decodeReply(shape, bad)).toThrow('wrong magic in the reply: "SSX2" (hex 53535832), expected "SSX1"');
  });

  it('knows the whole size from the header as bytes arrive', () => {
    const good = encodeReply(shape, [1, 2], [1, 2, 3, 4]);
    expect(expectedReplyBytes(shape, good.subarray(0, 6))).toBeUndefined();
    expect(expectedReplyBytes(shape, good.subarray(0, 8))).toBe(32);
    const err = encodeErrorReply(3, 'boom');
    expect(expectedReplyBytes(shape, err.subarray(0, 8))).toBeUndefined();
    expect(expectedReplyBytes(shape, err.subarray(0, 12))).toBe(16);
    expect(() => expectedReplyBytes(shape, Buffer.from('GARBAGE!'))).toThrow(/wrong magic in the reply: "GARB"/);
  });
});
