/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_HEX_H
#define AKMA_HEX_H

/* Text codecs: hex for keys and identifiers, decimal for the lengths and
 * counts of protocol headers. Thread-safe, non-blocking. The hex decoder
 * runs in time independent of the digit values, since it reads keys. */

#include <stddef.h>
#include <stdint.h>

/* Decode exactly want octets from text[0..len) (either case).
 * Returns 0, or -AKMA_E_HEX_ODD, -AKMA_E_HEX_CHAR, or want_err when the digit
 * count is even but not 2 * want (callers pass -AKMA_E_KEY_LENGTH or
 * -AKMA_E_UA_ID_LEN so the error names what was wrong). On error out is
 * zeroed. */
int akma_hex_decode(const char *text, size_t len, uint8_t *out, size_t want, int want_err);

/* Write 2 * n lower-case hex digits and a NUL to out (size >= 2n + 1). */
void akma_hex_encode(const uint8_t *in, size_t n, char *out);

/* Write the decimal digits of v to out (room for 20), no NUL; returns the
 * end. For hot paths, where snprintf costs a thousand instructions. */
char *akma_put_decimal(char *out, uint64_t v);

#endif
