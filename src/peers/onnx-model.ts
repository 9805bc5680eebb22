/**
 * The ONNX model of one LogSoftmax node, written as protobuf bytes in code (no
 * downloaded file): input x [N, C] → output y = LogSoftmax(x, axis = 1), N and
 * C symbolic. Field numbers from onnx/onnx.proto (ModelProto, GraphProto,
 * NodeProto, AttributeProto, ValueInfoProto, TypeProto, TensorShapeProto).
 */
import type { NativeDtype as Dtype } from '../float/dtype.js';

const VARINT = 0;
const BYTES = 2;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

type Field = number[];

function intField(field: number, value: number): Field {
  return [...varint((field << 3) | VARINT), ...varint(value)];
}

function bytesField(field: number, bytes: readonly number[]): Field {
  return [...varint((field << 3) | BYTES), ...varint(bytes.length), ...bytes];
}

function stringField(field: number, s: string): Field {
  return bytesField(field, [...new TextEncoder().encode(s)]);
}

function message(...fields: Field[]): number[] {
  return fields.flat();
}

/** TensorProto.DataType: FLOAT = 1, DOUBLE = 11. */
const ELEM_TYPE: Record<Dtype, number> = { float32: 1, float64: 11 };
/** AttributeProto.AttributeType.INT = 2. */
const ATTRIBUTE_INT = 2;
/** IR version 8 (ONNX 1.10+); LogSoftmax-13, the opset where axis defaults to −1 and means one axis. */
const IR_VERSION = 8;
const OPSET = 13;

function valueInfo(name: string, dtype: Dtype): number[] {
  const dim = (param: string) => bytesField(1, message(stringField(2, param)));
  const shape = message(dim('N'), dim('C'));
  const tensorType = message(intField(1, ELEM_TYPE[dtype]), bytesField(2, shape));
  const type = message(bytesField(1, tensorType));
  return message(stringField(1, name), bytesField(2, type));
}

export function logSoftmaxModel(dtype: Dtype): Uint8Array {
  const axis = message(stringField(1, 'axis'), intField(3, 1), intField(20, ATTRIBUTE_INT));
  const node = message(stringField(1, 'x'), stringField(2, 'y'), stringField(3, 'log_softmax'), stringField(4, 'LogSoftmax'), bytesField(5, axis));
  const graph = message(bytesField(1, node), stringField(2, 'log-softmax'), bytesField(11, valueInfo('x', dtype)), bytesField(12, valueInfo('y', dtype)));
  const opset = message(stringField(1, ''), intField(2, OPSET));
  return Uint8Array.from(message(intField(1, IR_VERSION), stringField(2, 'softmax-stability'), bytesField(7, graph), bytesField(8, opset)));
}
