"""exp, log and log1p of fdlibm in pure Python, bit for bit what Node's Math.exp,
Math.log and Math.log1p return.

Why this module exists: the harness's built-in pipelines evaluate exp and log in
double with V8's Math functions, which are ports of fdlibm (v8/src/base/ieee754.cc,
"adapted from fdlibm"). Python's math module calls the C library (glibc's libm
here), and the two differ in the last bit of a double: of 2,000,000 fuzz-like
arguments each, 147,615 exp, 22,998 log and 190 log1p results differ (none after
rounding to float32; `npx tsx scripts/adapters/measure-libm.ts`, glibc 2.36).
An adapter that must give the built-in's float64 losses bit for bit therefore
evaluates fdlibm's algorithms itself; this module is their
translation to Python, operation for operation in the same order (Python floats
are IEEE doubles rounded to nearest, so each step rounds as the C code's does).

Sources: fdlibm 5.3 e_exp.c, e_log.c, s_log1p.c (Sun Microsystems, 1993), as V8
carries them in src/base/ieee754.cc, with V8's one change kept: exp(1) returns the
double nearest e. The notice fdlibm asks to be kept:

    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
    Developed at SunSoft, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this software is freely
    granted, provided that this notice is preserved.

Standard library only (struct). src/external/adapter-programs.test.ts checks the three
functions against node's over fuzz-like arguments and the special values.
"""
import struct

_d = struct.Struct('<d')
_q = struct.Struct('<q')
INF = float('inf')
NAN = float('nan')


def _words(x):
    """(high word as a signed int32, low word as an unsigned int32) of a double."""
    b = _q.unpack(_d.pack(x))[0]
    hi = (b >> 32) & 0xFFFFFFFF
    if hi >= 0x80000000:
        hi -= 0x100000000
    return hi, b & 0xFFFFFFFF


def _from_words(hi, lo):
    """The double whose high and low 32-bit words are hi and lo."""
    b = ((hi & 0xFFFFFFFF) << 32) | (lo & 0xFFFFFFFF)
    if b >= 1 << 63:
        b -= 1 << 64
    return _d.unpack(_q.pack(b))[0]


def _set_high(x, hi):
    return _from_words(hi, _words(x)[1])


# --- exp (e_exp.c) -----------------------------------------------------------
# x = k·ln2 + r, |r| ≤ ln2/2, r = hi − lo; exp(r) = 1 + r + r·c/(2 − c) with
# c = r − t·(P1 + … + P5·t⁴), t = r²; exp(x) = 2^k·exp(r). Error < 1 ulp.
_O_THRESHOLD = 7.09782712893383973096e+02
_U_THRESHOLD = -7.45133219101941108420e+02
_LN2HI = (6.93147180369123816490e-01, -6.93147180369123816490e-01)
_LN2LO = (1.90821492927058770002e-10, -1.90821492927058770002e-10)
_HALF = (0.5, -0.5)
_INVLN2 = 1.44269504088896338700e+00
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
_E = 2.718281828459045
_HUGE = 1.0e+300
_TWOM1000 = 9.33263618503218878990e-302
_TWO1023 = 8.988465674311579539e307


def exp(x):
    """e^x for a double x, as V8's Math.exp (fdlibm e_exp.c)."""
    hx, lx = _words(x)
    xsb = (hx >> 31) & 1
    hx &= 0x7FFFFFFF
    k = 0
    hi = lo = 0.0
    if hx >= 0x40862E42:  # |x| ≥ 709.78…
        if hx >= 0x7FF00000:
            if ((hx & 0xFFFFF) | lx) != 0:
                return x + x  # NaN
            return x if xsb == 0 else 0.0
        if x > _O_THRESHOLD:
            return INF
        if x < _U_THRESHOLD:
            return 0.0
    if hx > 0x3FD62E42:  # |x| > ln2/2
        if hx < 0x3FF0A2B2:  # and |x| < 1.5·ln2
            if x == 1.0:
                return _E
            hi = x - _LN2HI[xsb]
            lo = _LN2LO[xsb]
            k = 1 - xsb - xsb
        else:
            k = int(_INVLN2 * x + _HALF[xsb])  # C's conversion truncates toward zero, as int() does
            t = float(k)
            hi = x - t * _LN2HI[0]  # exact
            lo = t * _LN2LO[0]
        x = hi - lo
    elif hx < 0x3E300000:  # |x| < 2^-28
        return 1.0 + x
    t = x * x
    if k >= -1021:
        twopk = _from_words(0x3FF00000 + (k << 20), 0)
    else:
        twopk = _from_words(0x3FF00000 + ((k + 1000) << 20), 0)
    c = x - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi)
    if k >= -1021:
        if k == 1024:
            return y * 2.0 * _TWO1023
        return y * twopk
    return y * twopk * _TWOM1000


# --- log (e_log.c) -----------------------------------------------------------
# x = 2^k·(1 + f), √2/2 < 1 + f < √2; s = f/(2 + f), log(1 + f) = 2s + s·R(s²)
# with a degree-14 Remez polynomial R (error < 2^-58.45); log x = k·ln2 + log(1 + f).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_TWO54 = 1.80143985094819840000e+16
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


def log(x):
    """The natural logarithm of a double x, as V8's Math.log (fdlibm e_log.c): −inf at ±0, NaN below 0."""
    hx, lx = _words(x)
    k = 0
    if hx < 0x00100000:  # x < 2^-1022
        if ((hx & 0x7FFFFFFF) | lx) == 0:
            return -INF
        if hx < 0:
            return NAN
        k -= 54
        x *= _TWO54  # subnormal: scale up
        hx = _words(x)[0]
    if hx >= 0x7FF00000:
        return x + x
    k += (hx >> 20) - 1023
    hx &= 0x000FFFFF
    i = (hx + 0x95F64) & 0x100000
    x = _set_high(x, hx | (i ^ 0x3FF00000))  # normalise x or x/2
    k += i >> 20
    f = x - 1.0
    if (0x000FFFFF & (2 + hx)) < 3:  # −2^-20 ≤ f < 2^-20
        if f == 0.0:
            if k == 0:
                return 0.0
            dk = float(k)
            return dk * _LN2_HI + dk * _LN2_LO
        R = f * f * (0.5 - 0.33333333333333333 * f)
        if k == 0:
            return f - R
        dk = float(k)
        return dk * _LN2_HI - ((R - dk * _LN2_LO) - f)
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    i = hx - 0x6147A
    w = z * z
    j = 0x6B851 - hx
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    i |= j
    R = t2 + t1
    if i > 0:
        hfsq = 0.5 * f * f
        if k == 0:
            return f - (hfsq - s * (hfsq + R))
        return dk * _LN2_HI - ((hfsq - (s * (hfsq + R) + dk * _LN2_LO)) - f)
    if k == 0:
        return f - s * (f - R)
    return dk * _LN2_HI - ((s * (f - R) - dk * _LN2_LO) - f)


# --- log1p (s_log1p.c) -------------------------------------------------------
# As log, on u = 1 + x rounded, plus the correction c/u for the rounding of
# 1 + x (c = (1 + x) − u), so tiny x keep their full relative accuracy.
def log1p(x):
    """log(1 + x) for a double x, as V8's Math.log1p (fdlibm s_log1p.c): −inf at −1, NaN below −1."""
    hx = _words(x)[0]
    ax = hx & 0x7FFFFFFF
    k = 1
    hu = 0
    c = 0.0
    f = 0.0
    if hx < 0x3FDA827A:  # 1 + x < √2+
        if ax >= 0x3FF00000:  # x ≤ −1
            return -INF if x == -1.0 else NAN
        if ax < 0x3E200000:  # |x| < 2^-29
            if ax < 0x3C900000:  # |x| < 2^-54
                return x
            return x - x * x * 0.5
        if hx > 0 or hx <= -0x402D413C:  # (int32) 0xBFD2BEC4: √2/2− ≤ 1 + x < √2+
            k = 0
            f = x
            hu = 1
    if hx >= 0x7FF00000:
        return x + x
    if k != 0:
        if hx < 0x43400000:
            u = 1.0 + x
            hu = _words(u)[0]
            k = (hu >> 20) - 1023
            c = 1.0 - (u - x) if k > 0 else x - (u - 1.0)  # correction term
            c /= u
        else:
            u = x
            hu = _words(u)[0]
            k = (hu >> 20) - 1023
            c = 0.0
        hu &= 0x000FFFFF
        if hu < 0x6A09E:  # u < √2
            u = _set_high(u, hu | 0x3FF00000)
        else:
            k += 1
            u = _set_high(u, hu | 0x3FE00000)  # u/2
            hu = (0x00100000 - hu) >> 2
        f = u - 1.0
    hfsq = 0.5 * f * f
    if hu == 0:  # |f| < 2^-20
        if f == 0.0:
            if k == 0:
                return 0.0
            c += k * _LN2_LO
            return k * _LN2_HI + c
        R = hfsq * (1.0 - 0.66666666666666666 * f)
        if k == 0:
            return f - R
        return k * _LN2_HI - ((R - (k * _LN2_LO + c)) - f)
    s = f / (2.0 + f)
    z = s * s
    R = z * (_LG1 + z * (_LG2 + z * (_LG3 + z * (_LG4 + z * (_LG5 + z * (_LG6 + z * _LG7))))))
    if k == 0:
        return f - (hfsq - s * (hfsq + R))
    return k * _LN2_HI - ((hfsq - (s * (hfsq + R) + (k * _LN2_LO + c))) - f)
