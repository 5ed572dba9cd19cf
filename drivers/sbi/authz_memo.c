/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A connection's memo of its Authorization field (see sbi_authz_memo.h).
 *
 * The scan follows the client's octets frame by frame as nghttp2 will: the
 * 24-octet preface, then 9-octet frame headers each followed by its
 * payload. Only a HEADERS frame that ends its header block and lies whole
 * in the buffer is looked into (a field in CONTINUATION never is: such
 * blocks are rare, and a HEADERS frame inside one is nghttp2's connection
 * error whatever we do to it); its block is walked representation by
 * representation (RFC 7541 6: the integer prefixes and string lengths, no
 * string decoded) and the first never-indexed or unindexed literal with
 * name index 23 whose string is the memo's, octet for octet, is cut: the
 * octets before it move up over it and the frame's length shrinks by as
 * much. Padding and priority fields stay as they were.
 */
#include "sbi_authz_memo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>

#define PREFACE_LEN 24
#define FRAME_HEAD 9
#define AUTHORIZATION_INDEX 23 /* RFC 7541 Appendix A */
#define TYPE_HEADERS 0x1
#define FLAG_END_HEADERS 0x4
#define FLAG_PADDED 0x8
#define FLAG_PRIORITY 0x20

void akma_authz_memo_init(struct akma_authz_memo *m)
{
	memset(m, 0, sizeof(*m));
	m->preface_left = PREFACE_LEN;
}

static void forget(struct akma_authz_memo *m)
{
	if (m->value) {
		explicit_bzero(m->value, m->value_len);
		free(m->value);
	}
	if (m->coded) {
		explicit_bzero(m->coded, m->coded_len);
		free(m->coded);
	}
	m->value = NULL;
	m->coded = NULL;
	m->value_len = m->coded_len = 0;
}

void akma_authz_memo_clear(struct akma_authz_memo *m)
{
	forget(m);
}

/* An HPACK integer with a bits-bit prefix at p (p < e): the octet after it,
 * or NULL past e or past 2^28 (four continuation octets; nothing we cut is
 * longer). */
static const uint8_t *hpack_int(const uint8_t *p, const uint8_t *e, unsigned bits, uint32_t *v)
{
	uint32_t max = (1u << bits) - 1, x = *p++ & max;
	if (x < max) {
		*v = x;
		return p;
	}
	for (unsigned shift = 0; shift <= 21; shift += 7) {
		if (p == e)
			return NULL;
		uint8_t b = *p++;
		x += (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return p;
		}
	}
	return NULL;
}

/* A string literal at p (p < e): the octet after it, or NULL. */
static const uint8_t *hpack_string(const uint8_t *p, const uint8_t *e)
{
	uint32_t len;
	const uint8_t *q = hpack_int(p, e, 7, &len);
	if (!q || len > (size_t)(e - q))
		return NULL;
	return q + len;
}

/* One field representation of a header block. */
struct rep {
	const uint8_t *value, *end; /* the value's string, and the next representation */
	int static_authorization;   /* literal, not indexed, name index 23, minimally coded */
};

/* The representation at p (p < e); returns 0 if it runs past e. */
static int rep_next(const uint8_t *p, const uint8_t *e, struct rep *r)
{
	uint8_t first = *p;
	uint32_t index;
	const uint8_t *q;
	r->static_authorization = 0;
	r->value = NULL;
	if (first & 0x80) { /* indexed field */
		q = hpack_int(p, e, 7, &index);
	} else if ((first & 0xe0) == 0x20) { /* dynamic table size update */
		q = hpack_int(p, e, 5, &index);
	} else {
		/* 01: with incremental indexing (6-bit index); 0000 and 0001:
		 * without indexing and never indexed (4-bit index) */
		unsigned bits = (first & 0x40) ? 6 : 4;
		q = hpack_int(p, e, bits, &index);
		if (q && index == 0 && q < e)
			q = hpack_string(q, e);
		else if (q && index == 0)
			q = NULL;
		if (q && q < e) {
			r->value = q;
			r->static_authorization =
				bits == 4 && index == AUTHORIZATION_INDEX && q == p + 2;
			q = hpack_string(q, e);
		} else {
			q = NULL;
		}
	}
	if (!q)
		return 0;
	r->end = q;
	return 1;
}

/* Whether the string representation s[0..n) is the memo's value: as
 * nghttp2 codes it, or raw. */
static int is_memo(const struct akma_authz_memo *m, const uint8_t *s, size_t n)
{
	if (n == m->coded_len && !CRYPTO_memcmp(s, m->coded, n))
		return 1;
	uint32_t len;
	const uint8_t *q = hpack_int(s, s + n, 7, &len);
	return q && !(s[0] & 0x80) && len == m->value_len && (size_t)(s + n - q) == len &&
	       !CRYPTO_memcmp(q, m->value, len);
}

int akma_authz_memo_learn(struct akma_authz_memo *m, const char *value, size_t len)
{
	if (m->value && m->value_len == len && !CRYPTO_memcmp(m->value, value, len))
		return 0;
	forget(m);
	nghttp2_hd_deflater *d;
	if (nghttp2_hd_deflate_new(&d, 0) != 0)
		return -ENOMEM;
	nghttp2_nv nv = {(uint8_t *)"authorization", (uint8_t *)value, 13, len,
			 NGHTTP2_NV_FLAG_NO_INDEX};
	size_t bound = nghttp2_hd_deflate_bound(d, &nv, 1);
	uint8_t *block = malloc(bound);
	ssize_t w = block ? nghttp2_hd_deflate_hd(d, block, bound, &nv, 1) : -1;
	nghttp2_hd_deflate_del(d);
	int rc = -ENOMEM;
	struct rep r;
	for (const uint8_t *p = block, *e = block + (w > 0 ? w : 0); p < e; p = r.end) {
		if (!rep_next(p, e, &r))
			break;
		if (!r.static_authorization)
			continue;
		m->coded_len = (size_t)(r.end - r.value);
		m->coded = malloc(m->coded_len);
		m->value = malloc(len ? len : 1);
		if (m->coded && m->value) {
			memcpy(m->coded, r.value, m->coded_len);
			memcpy(m->value, value, len);
			m->value_len = len;
			rc = 0;
		}
		break;
	}
	if (block) {
		explicit_bzero(block, bound);
		free(block);
	}
	if (rc)
		forget(m);
	return rc;
}

/* The frame at f (its header and flen octets of payload, all in the
 * buffer): where its memo field is, as offsets from f, or 0. */
static int find_cut(const struct akma_authz_memo *m, const uint8_t *f, uint32_t flen, size_t *a,
		    size_t *b)
{
	uint8_t flags = f[4];
	size_t skip = 0, pad = 0;
	if (flags & FLAG_PADDED) {
		if (flen < 1)
			return 0;
		pad = f[FRAME_HEAD];
		skip = 1;
	}
	if (flags & FLAG_PRIORITY)
		skip += 5;
	if (skip + pad > flen)
		return 0;
	const uint8_t *p = f + FRAME_HEAD + skip, *e = f + FRAME_HEAD + flen - pad;
	struct rep r;
	for (; p < e; p = r.end) {
		if (!rep_next(p, e, &r))
			return 0;
		if (r.static_authorization && is_memo(m, r.value, (size_t)(r.end - r.value))) {
			*a = (size_t)(p - f);
			*b = (size_t)(r.end - f);
			return 1;
		}
	}
	return 0;
}

static uint32_t frame_length(const uint8_t *h)
{
	return (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
}

int32_t akma_authz_memo_scan(struct akma_authz_memo *m, uint8_t *buf, size_t len, size_t *pos,
			     size_t *off, size_t *n)
{
	size_t start = *pos, p = start;
	while (p < len) {
		size_t avail = len - p;
		if (m->preface_left) {
			size_t take = avail < m->preface_left ? avail : m->preface_left;
			m->preface_left -= (uint32_t)take;
			p += take;
		} else if (m->frame_left) {
			size_t take = avail < m->frame_left ? avail : m->frame_left;
			m->frame_left -= (uint32_t)take;
			p += take;
		} else if (m->head_have || avail < FRAME_HEAD) {
			/* split across reads: followed, never cut */
			while (p < len && m->head_have < FRAME_HEAD)
				m->head[m->head_have++] = buf[p++];
			if (m->head_have == FRAME_HEAD) {
				m->frame_left = frame_length(m->head);
				m->head_have = 0;
			}
		} else {
			uint8_t *f = buf + p;
			uint32_t flen = frame_length(f);
			int32_t id = (int32_t)(((uint32_t)f[5] & 0x7f) << 24 |
					       (uint32_t)f[6] << 16 | (uint32_t)f[7] << 8 | f[8]);
			size_t a, b;
			if (f[3] == TYPE_HEADERS && (f[4] & FLAG_END_HEADERS) && id && m->value &&
			    flen <= avail - FRAME_HEAD && find_cut(m, f, flen, &a, &b)) {
				if (p > start) {
					/* The frames before it go first, and may change the
					 * memo: this one is looked at again after them. */
					*off = start;
					*n = p - start;
					*pos = p;
					return 0;
				}
				size_t k = b - a;
				memmove(f + k, f, a);
				f += k;
				flen -= (uint32_t)k;
				f[0] = (uint8_t)(flen >> 16);
				f[1] = (uint8_t)(flen >> 8);
				f[2] = (uint8_t)flen;
				m->cuts++;
				*off = p + k;
				*n = FRAME_HEAD + flen;
				*pos = p + FRAME_HEAD + flen + k;
				return id;
			}
			m->frame_left = flen;
			p += FRAME_HEAD;
		}
	}
	*off = start;
	*n = len - start;
	*pos = len;
	return 0;
}
