/* SPDX-License-Identifier: BSD-3-Clause */
#include "hex.h"

#include <string.h>

#include "err.h"

/* Value of one hex digit or -1, with no data-dependent branch: masks from
 * range tests are combined arithmetically. */
static int hex_value(unsigned char c)
{
	int d = c - '0', l = (c | 0x20) - 'a';
	int is_digit = ((d >= 0) & (d <= 9));
	int is_letter = ((l >= 0) & (l <= 5));
	return (d & -is_digit) | ((l + 10) & -is_letter) | -(1 - (is_digit | is_letter));
}

int akma_hex_decode(const char *text, size_t len, uint8_t *out, size_t want, int want_err)
{
	int bad = 0;

	if (len % 2) {
		memset(out, 0, want);
		return -AKMA_E_HEX_ODD;
	}
	for (size_t i = 0; i < len; i++)
		bad |= hex_value((unsigned char)text[i]) < 0;
	if (bad) {
		memset(out, 0, want);
		return -AKMA_E_HEX_CHAR;
	}
	if (len != 2 * want) {
		memset(out, 0, want);
		return want_err;
	}
	for (size_t i = 0; i < want; i++)
		out[i] = (uint8_t)(hex_value((unsigned char)text[2 * i]) << 4 |
				   hex_value((unsigned char)text[2 * i + 1]));
	return 0;
}

void akma_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

char *akma_put_decimal(char *out, uint64_t v)
{
	char digits[20];
	int n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*out++ = digits[--n];
	return out;
}
