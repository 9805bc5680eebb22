/*
 * naive_softmax.c: the textbook softmax cross-entropy in C99 as an external
 * pipeline (SPEC section 7: SSX1 frames on stdin, replies on stdout), to show the
 * protocol from a language without a runtime. Standard library only.
 *
 * What it computes, per row of `classes` logits x with target t:
 *   p_j = exp(x_j) / Σ_k exp(x_k),  loss = −log p_t,  gradient g_j = p_j − [j = t]
 * in float (float32 frames: expf, logf, every operation rounded to float as C99
 * with FLT_EVAL_METHOD 0 does on x86-64 and AArch64) or double (float64 frames:
 * exp, log). No max shift: exp overflows past x ≈ 88.72 in float and 709.78 in
 * double, and p underflows for a far-behind target, so fuzz and map find its
 * failures (inf, NaN, a lost loss) and shrinking reduces them to short rows.
 *
 * Frames it refuses, with a status-1 reply and a message (the harness ends the run
 * with it): float16 and bfloat16 (C99 has no such types: list
 * dtypes: ['float32', 'float64'] in the suite) and any batch option (an options
 * JSON other than {}: this example does not parse JSON). A corrupt stream (wrong
 * magic, a frame cut short) is reported on stderr and the process exits with 2.
 *
 * Build and run:
 *   cc -std=c99 -O2 -o scripts/adapters/c/naive_softmax scripts/adapters/c/naive_softmax.c -lm
 *   scripts/adapters/c/naive_softmax          # serve frames
 *   scripts/adapters/c/naive_softmax --null   # reply zeros without computing (the round trip alone)
 * Suite entry:
 *   { name: 'c-naive-softmax', command: ['scripts/adapters/c/naive_softmax'],
 *     dtypes: ['float32', 'float64'], grad: true }
 * src/external/adapter-programs.test.ts builds it with the machine's `cc` and checks it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *buf;
static size_t cap;

/* Reads exactly n bytes into buf (grown as needed); returns the bytes read. */
static size_t read_exact(size_t n) {
    size_t got = 0;
    if (n > cap) {
        unsigned char *b = realloc(buf, n);
        if (b == NULL) {
            fprintf(stderr, "naive_softmax: out of memory for a %zu-byte frame\n", n);
            exit(2);
        }
        buf = b;
        cap = n;
    }
    while (got < n) {
        size_t r = fread(buf + got, 1, n - got, stdin);
        if (r == 0) break;
        got += r;
    }
    return got;
}

static uint32_t u32le(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64le(const unsigned char *p) { return (uint64_t)u32le(p) | (uint64_t)u32le(p + 4) << 32; }

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static float get_f32(const unsigned char *p) {
    uint32_t b = u32le(p);
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static double get_f64(const unsigned char *p) {
    uint64_t b = u64le(p);
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static void put_f32(unsigned char *p, float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    put_u32(p, b);
}

static void put_f64(unsigned char *p, double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    put_u32(p, (uint32_t)b);
    put_u32(p + 4, (uint32_t)(b >> 32));
}

static void reply_error(const char *message) {
    unsigned char head[12];
    size_t n = strlen(message);
    memcpy(head, "SSX1", 4);
    put_u32(head + 4, 1);
    put_u32(head + 8, (uint32_t)n);
    fwrite(head, 1, 12, stdout);
    fwrite(message, 1, n, stdout);
    fflush(stdout);
}

int main(int argc, char **argv) {
    int null_mode = argc > 1 && strcmp(argv[1], "--null") == 0;
    unsigned char *out = NULL;
    double *e = NULL;
    size_t out_cap = 0, e_cap = 0;
    for (unsigned long frame = 0;; frame++) {
        size_t got = read_exact(20);
        if (got == 0) return 0; /* stdin closed: done */
        if (got < 20 || memcmp(buf, "SSX1", 4) != 0) {
            fprintf(stderr, "naive_softmax: frame %lu: %s\n", frame, got < 20 ? "the stream ended inside the header" : "wrong magic");
            return 2;
        }
        int op = buf[4], dtype = buf[5];
        uint32_t rows = u32le(buf + 8), classes = u32le(buf + 12), L = u32le(buf + 16);
        size_t size = dtype == 0 ? 8 : dtype == 1 ? 4 : 2;
        size_t body = (size_t)L + (size_t)rows * classes * size + 4 * (size_t)rows;
        if ((op != 1 && op != 2) || dtype > 3) {
            fprintf(stderr, "naive_softmax: frame %lu: op %d, dtype %d: unknown\n", frame, op, dtype);
            return 2;
        }
        if (read_exact(body) < body) {
            fprintf(stderr, "naive_softmax: frame %lu: the stream ended inside the frame\n", frame);
            return 2;
        }
        size_t n_out = (size_t)rows * (op == 2 ? 1 + (size_t)classes : 1);
        size_t reply = 8 + n_out * size;
        if (reply > out_cap) {
            out = realloc(out, reply);
            out_cap = reply;
        }
        if (classes > e_cap) {
            e = realloc(e, classes * sizeof *e);
            e_cap = classes;
        }
        if (out == NULL || e == NULL) {
            fprintf(stderr, "naive_softmax: out of memory\n");
            return 2;
        }
        memset(out, 0, reply);
        memcpy(out, "SSX1", 4);
        if (!null_mode) {
            if (dtype >= 2) {
                reply_error("naive_softmax (C): float16 and bfloat16 frames are not supported (C99 has no such types); list dtypes: ['float32', 'float64']");
                continue;
            }
            const unsigned char *opts = buf, *x = buf + L, *tg = buf + L + (size_t)rows * classes * size;
            if (!(L == 0 || (L == 2 && opts[0] == '{' && opts[1] == '}'))) {
                reply_error("naive_softmax (C): batch options (weight, ignore_index, label_smoothing) are not supported by this example; run it without options");
                continue;
            }
            for (uint32_t r = 0; r < rows; r++) {
                int32_t t = (int32_t)u32le(tg + 4 * (size_t)r);
                if (t < 0 || (uint32_t)t >= classes) {
                    char m[160];
                    snprintf(m, sizeof m, "naive_softmax (C): frame %lu row %u: target %d is not a class (0 to %u)", frame, r, t, classes - 1);
                    reply_error(m);
                    goto next;
                }
            }
            for (uint32_t r = 0; r < rows; r++) {
                int32_t t = (int32_t)u32le(tg + 4 * (size_t)r);
                const unsigned char *row = x + (size_t)r * classes * size;
                unsigned char *g = out + 8 + size * ((size_t)rows + (size_t)r * classes);
                if (dtype == 1) {
                    float s = 0.0f;
                    for (uint32_t j = 0; j < classes; j++) {
                        float ej = expf(get_f32(row + 4 * j));
                        e[j] = ej;
                        s += ej;
                    }
                    float pt = (float)e[t] / s;
                    put_f32(out + 8 + 4 * (size_t)r, -logf(pt));
                    if (op == 2)
                        for (uint32_t j = 0; j < classes; j++) {
                            float p = (float)e[j] / s;
                            put_f32(g + 4 * j, (uint32_t)t == j ? p - 1.0f : p);
                        }
                } else {
                    double s = 0.0;
                    for (uint32_t j = 0; j < classes; j++) {
                        e[j] = exp(get_f64(row + 8 * j));
                        s += e[j];
                    }
                    put_f64(out + 8 + 8 * (size_t)r, -log(e[t] / s));
                    if (op == 2)
                        for (uint32_t j = 0; j < classes; j++) {
                            double p = e[j] / s;
                            put_f64(g + 8 * j, (uint32_t)t == j ? p - 1.0 : p);
                        }
                }
            }
        }
        fwrite(out, 1, reply, stdout);
        fflush(stdout);
    next:;
    }
}
