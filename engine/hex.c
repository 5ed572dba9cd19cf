/* SPDX-License-Identifier: BSD-3-Clause */
#include "hex.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
	if (len == 2 * want) {
		/* One pass, the octets written before the verdict (and wiped on a
		 * bad digit): the second pass was half of the 480 instructions an
		 * afId's Ua* id cost the SBI thread (callgrind). */
		for (size_t i = 0; i < want; i++) {
			int hi = hex_value((unsigned char)text[2 * i]);
			int lo = hex_value((unsigned char)text[2 * i + 1]);
			bad |= (hi | lo) < 0;
			out[i] = (uint8_t)((unsigned)(hi & 15) << 4 | (unsigned)(lo & 15));
		}
		if (bad) {
			explicit_bzero(out, want);
			return -AKMA_E_HEX_CHAR;
		}
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		bad |= hex_value((unsigned char)text[i]) < 0;
	memset(out, 0, want);
	return bad ? -AKMA_E_HEX_CHAR : want_err;
}

#ifdef __SSE2__
/* '0'..'9', 'a'..'f' of sixteen nibbles, without a table indexed by them */
static inline __m128i hex_digits(__m128i nibbles)
{
	__m128i letter = _mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9));
	return _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')),
			    _mm_and_si128(letter, _mm_set1_epi8('a' - '0' - 10)));
}
#endif

void akma_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i = 0;

#ifdef __SSE2__
	/* Sixteen octets a step (SSE2 is x86-64's baseline): a K_AF's 64
	 * digits were 390 of the SBI thread's instructions a retrieve one
	 * octet at a time (callgrind). */
	const __m128i low4 = _mm_set1_epi8(0x0f);
	for (; i + 16 <= n; i += 16) {
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
		__m128i hi = hex_digits(_mm_and_si128(_mm_srli_epi16(b, 4), low4));
		__m128i lo = hex_digits(_mm_and_si128(b, low4));
		_mm_storeu_si128((__m128i *)(void *)(out + 2 * i), _mm_unpacklo_epi8(hi, lo));
		_mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 16), _mm_unpackhi_epi8(hi, lo));
	}
#endif
	for (; i < n; i++) {
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
