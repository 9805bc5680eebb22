"""The SSX1 frame protocol (SPEC section 7), the process side, standard library only.

The Python adapters import it; copy it next to your own adapter. An adapter calls
`serve(compute)` with a function `compute(request) -> (losses, grads)` and the
module does the rest: it reads request frames from stdin until stdin closes,
calls `compute` once per frame and writes one reply frame per request to stdout.

Request (little-endian): b"SSX1", u8 op (1 losses, 2 losses and gradients),
u8 dtype (0 float64, 1 float32, 2 float16, 3 bfloat16), u16 0, u32 rows,
u32 classes, u32 L, L bytes of UTF-8 JSON (the batch options under PyTorch's
names: weight, ignore_index, label_smoothing; {} when none), rows × classes
logits row-major as the raw bits of dtype, rows i32 targets.

Reply: b"SSX1", u32 status; status 0: rows losses in dtype, then for op 2
rows × classes gradient values in dtype; status ≠ 0: u32 L and L bytes of UTF-8
message (the harness ends the run with it).

`compute` receives a `Request` whose `logits` and `targets` are flat Python
sequences (float and int) and returns flat sequences of floats, already values
of the dtype (the module packs them exactly; a value that is not one is rounded
to nearest, ties to even). Raising `Refusal(message)` replies with status 1 and
the message (a dtype or an option the adapter does not do); any other exception
is reported the same way with its type, and the adapter goes on to the next
frame. A corrupt stream (wrong magic, a short frame) is written to stderr and
the process exits with status 2: the harness reports the pipeline and frame.

Also here, for adapters that compute in pure Python: `round_to(dtype)`, the
rounding of a double to each format, directly, to nearest, ties to even
(float16 by struct's 'e' format, which CPython rounds from the double;
bfloat16 bit by bit from the double's significand; never through float32).
"""
import json
import math
import struct
import sys
from array import array

MAGIC = b'SSX1'
DTYPES = ('float64', 'float32', 'float16', 'bfloat16')
OPS = {1: 'loss', 2: 'grad'}
_HEADER = struct.Struct('<4sBBHIII')  # magic, op, dtype, 0, rows, classes, L: 20 bytes
_STATUS = struct.Struct('<4sI')
_BIG_ENDIAN = sys.byteorder == 'big'


class Refusal(Exception):
    """Raised by an adapter's compute for a request it does not do: replied with status 1 and the message."""


class Request:
    """One request frame: `op` 'loss' or 'grad', `dtype` a name of DTYPES, `rows`, `classes`,
    `options` (the JSON object, PyTorch's names), `logits` (rows × classes floats, row-major)
    and `targets` (rows ints)."""

    __slots__ = ('op', 'dtype', 'rows', 'classes', 'options', 'logits', 'targets', 'index')

    def __init__(self, op, dtype, rows, classes, options, logits, targets, index):
        self.op, self.dtype, self.rows, self.classes = op, dtype, rows, classes
        self.options, self.logits, self.targets, self.index = options, logits, targets, index

    @property
    def grad(self):
        return self.op == 'grad'

    def row(self, r):
        """The logits of row r (a list of floats)."""
        return self.logits[r * self.classes:(r + 1) * self.classes]


# --- rounding to the four formats ---------------------------------------------

_F = struct.Struct('<f')
_E = struct.Struct('<e')


def round_float64(x):
    return x


def round_float32(x):
    """x rounded to float32, to nearest, ties to even (C's cast, as struct's 'f' does); ±inf beyond the overflow midpoint."""
    try:
        return _F.unpack(_F.pack(x))[0]
    except OverflowError:  # struct refuses exactly the values that round to infinity
        return math.copysign(math.inf, x)


def round_float16(x):
    """x rounded directly to IEEE binary16 (struct's 'e': CPython rounds the double half to even, subnormals included)."""
    try:
        return _E.unpack(_E.pack(x))[0]
    except OverflowError:  # |x| ≥ 65520, the midpoint above 65504
        return math.copysign(math.inf, x)


def round_to_precision(x, precision, emin, emax):
    """x rounded to a binary format of `precision` significand bits and exponents [emin, emax],
    to nearest, ties to even, gradual underflow, ±inf from the overflow midpoint up.

    Bit by bit: |x| = sig · 2^(e − 53) with sig the 53-bit integer significand (exact,
    from frexp); the bits below the format's quantum (2^(max(e − 1, emin) − precision + 1))
    are dropped with round half to even on the integer, and the result scaled back exactly.
    """
    if x != x or x == 0 or math.isinf(x):
        return x
    m, e = math.frexp(abs(x))  # |x| = m·2^e, 0.5 ≤ m < 1
    sig = int(m * (1 << 53))  # exact
    drop = 53 - precision + max(0, emin - (e - 1))
    kept = sig >> drop
    rest = sig - (kept << drop)
    half = 1 << (drop - 1)
    if rest > half or (rest == half and kept & 1):
        kept += 1
    y = math.ldexp(kept, e - 53 + drop)
    if y > math.ldexp((1 << precision) - 1, emax - precision + 1):
        y = math.inf
    return math.copysign(y, x)


def round_bfloat16(x):
    """x rounded directly to bfloat16 (8-bit significand, float32's exponents), to nearest, ties to even."""
    return round_to_precision(x, 8, -126, 127)


_ROUND = {'float64': round_float64, 'float32': round_float32, 'float16': round_float16, 'bfloat16': round_bfloat16}


def round_to(dtype):
    """The rounding function of a dtype name."""
    return _ROUND[dtype]


# --- packing -------------------------------------------------------------------

def _floats(code, data):
    a = array(code)
    a.frombytes(data)
    if _BIG_ENDIAN:
        a.byteswap()
    return a


def decode(dtype, data):
    """Raw little-endian bits of `dtype` → a list of floats."""
    if dtype == 'float64':
        return _floats('d', data).tolist()
    if dtype == 'float32':
        return _floats('f', data).tolist()
    if dtype == 'float16':
        return list(struct.unpack('<%de' % (len(data) // 2), data))
    # bfloat16: the high half of a float32
    bits = array('I', [h << 16 for h in _floats('H', data)])
    f = array('f')
    f.frombytes(bits.tobytes())
    return f.tolist()


def encode(dtype, values):
    """A sequence of floats → raw little-endian bits of `dtype` (each value rounded to it first)."""
    r = _ROUND[dtype]
    if dtype == 'float64':
        a = array('d', values)
    elif dtype == 'float32':
        a = array('f', [r(v) for v in values])
    elif dtype == 'float16':
        return struct.pack('<%de' % len(values), *[r(v) for v in values])
    else:  # bfloat16: every value is a float32 whose low 16 bits are zero once rounded
        bits = array('I')
        bits.frombytes(array('f', [r(v) for v in values]).tobytes())
        a = array('H', [b >> 16 for b in bits])
    if _BIG_ENDIAN:
        a.byteswap()
    return a.tobytes()


SIZE = {'float64': 8, 'float32': 4, 'float16': 2, 'bfloat16': 2}


# --- the loop ------------------------------------------------------------------

def _read_exact(stream, n):
    chunks = []
    while n > 0:
        b = stream.read(n)
        if not b:
            break
        chunks.append(b)
        n -= len(b)
    return b''.join(chunks)


class StreamError(Exception):
    """A corrupt request stream: the adapter cannot find the next frame."""


def read_request(stream, index=0, decode_values=True):
    """The next request frame from a binary stream, or None at the end of the stream.
    With decode_values=False the payload is read and dropped (options, logits and
    targets None): what --null needs, so that it times the frame round trip alone."""
    head = _read_exact(stream, _HEADER.size)
    if not head:
        return None
    if len(head) < _HEADER.size:
        raise StreamError('frame %d: the stream ended inside the header (%d of %d bytes)' % (index, len(head), _HEADER.size))
    magic, op, dt, _, rows, classes, length = _HEADER.unpack(head)
    if magic != MAGIC:
        raise StreamError('frame %d: magic %r, expected %r' % (index, magic, MAGIC))
    if op not in OPS or dt >= len(DTYPES):
        raise StreamError('frame %d: op %d, dtype %d: unknown (op 1 or 2, dtype 0 to 3)' % (index, op, dt))
    dtype = DTYPES[dt]
    body = _read_exact(stream, length + rows * classes * SIZE[dtype] + 4 * rows)
    if len(body) < length + rows * classes * SIZE[dtype] + 4 * rows:
        raise StreamError('frame %d: the stream ended inside the frame' % index)
    if not decode_values:
        return Request(OPS[op], dtype, rows, classes, None, None, None, index)
    options = json.loads(body[:length].decode('utf-8')) if length else {}
    at = length + rows * classes * SIZE[dtype]
    logits = decode(dtype, body[length:at])
    targets = _floats('i', body[at:]).tolist()
    return Request(OPS[op], dtype, rows, classes, options, logits, targets, index)


def reply(stream, request, losses, grads=None):
    """Writes a status-0 reply: `rows` losses, then (op 2) `rows × classes` gradient values."""
    if len(losses) != request.rows:
        raise ValueError('%d losses for %d rows' % (len(losses), request.rows))
    parts = [_STATUS.pack(MAGIC, 0), encode(request.dtype, losses)]
    if request.grad:
        if grads is None or len(grads) != request.rows * request.classes:
            raise ValueError('op 2 needs rows × classes = %d gradient values' % (request.rows * request.classes))
        parts.append(encode(request.dtype, grads))
    stream.write(b''.join(parts))
    stream.flush()


def reply_error(stream, message):
    """Writes a reply with status 1 and a message."""
    m = message.encode('utf-8')
    stream.write(_STATUS.pack(MAGIC, 1) + struct.pack('<I', len(m)) + m)
    stream.flush()


def zeros_reply(stream, request):
    """The reply of an adapter's --null mode: zeros of the right size, nothing computed (the frame round trip alone)."""
    size = SIZE[request.dtype]
    n = request.rows + (request.rows * request.classes if request.grad else 0)
    stream.write(_STATUS.pack(MAGIC, 0) + bytes(n * size))
    stream.flush()


def serve(compute, null=False, name='adapter'):
    """Reads request frames from stdin until it closes; replies to each with compute(request).

    compute(request) returns (losses, grads) (grads None for op 1); Refusal or any other
    exception becomes a status-1 reply naming it. With null=True, replies zeros without
    computing. Exits 0 at the end of stdin, 2 on a corrupt stream (message on stderr).
    """
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    index = 0
    while True:
        try:
            req = read_request(stdin, index, decode_values=not null)
        except (StreamError, ValueError) as e:
            sys.stderr.write('%s: %s\n' % (name, e))
            sys.exit(2)
        if req is None:
            return
        if null:
            zeros_reply(stdout, req)
        else:
            try:
                losses, grads = compute(req)
            except Refusal as e:
                reply_error(stdout, '%s: %s' % (name, e))
            except Exception as e:  # noqa: BLE001 - reported to the harness, which ends the run with it
                reply_error(stdout, '%s: frame %d: %s: %s' % (name, index, type(e).__name__, e))
            else:
                reply(stdout, req, losses, grads)
        index += 1


# --- the batch options (SPEC section 6), shared by the adapters -----------------

def batch_options(request):
    """(weight list or None, ignore_index or None, label_smoothing) from the request's JSON; Refusal on anything else."""
    o = request.options
    unknown = sorted(set(o) - {'weight', 'ignore_index', 'label_smoothing'})
    if unknown:
        raise Refusal('unknown option %s (weight, ignore_index, label_smoothing)' % ', '.join(unknown))
    weight = o.get('weight')
    if weight is not None and len(weight) != request.classes:
        raise Refusal('weight has %d entries for %d classes' % (len(weight), request.classes))
    return weight, o.get('ignore_index'), float(o.get('label_smoothing', 0.0))
