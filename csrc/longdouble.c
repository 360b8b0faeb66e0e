/* INCRBYFLOAT arithmetic in C's long double, the type Redis computes it in.
 * Rust has no 80-bit extended float, and the result's digits (strtold's
 * rounding, the sum's rounding, printf's "%.17Lf") depend on it. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest text Redis reads as a long double (MAX_LONG_DOUBLE_CHARS). */
#define LD_MAX_CHARS 5120

/* Redis's string2ld: the whole text must be a number (a NUL inside it
 * ends strtold's reading early, so it is refused too); overflow,
 * underflow to zero and NaN are refused, "inf" is accepted. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[LD_MAX_CHARS];
    char *end;
    long double v;
    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end[0] != '\0' ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* Adds `incr` to `cur` (absent when cur is NULL, read as 0) and writes the
 * sum as Redis prints it into out. Returns the length written, or
 * -1 when cur is not a number, -2 when incr is not, -3 when the sum is NaN
 * or infinite, -4 when out is too small. */
int ferro_incrbyfloat(const char *cur, size_t cur_len, const char *incr, size_t incr_len,
                      char *out, size_t out_len) {
    long double value = 0, by, sum;
    int l;
    if (cur != NULL && !parse_ld(cur, cur_len, &value)) return -1;
    if (!parse_ld(incr, incr_len, &by)) return -2;
    sum = value + by;
    if (isnan(sum) || isinf(sum)) return -3;
    l = snprintf(out, out_len, "%.17Lf", sum);
    if (l < 0 || (size_t)l + 1 > out_len) return -4;
    /* Drop trailing zeros after the point, then a bare point. */
    if (memchr(out, '.', (size_t)l) != NULL) {
        while (out[l - 1] == '0') l--;
        if (out[l - 1] == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        l = 1;
    }
    return l;
}
