/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SBI_AUTHZ_MEMO_H
#define AKMA_SBI_AUTHZ_MEMO_H

/*
 * A connection's memo of its Authorization field, taken out of the HEADERS
 * frames that repeat it before nghttp2 decodes them.
 *
 * An AF reuses its access token on every request, and every HTTP/2 client
 * sends it as a never-indexed literal (RFC 7541 7.1.3; nghttp2 and h2 both
 * refuse to index authorization), so each request carries the same ~350
 * Huffman-coded octets. nghttp2 decodes them each time: with the trust
 * boundary on, that decoding and the field's validation were 11 300 of the
 * 15 100 instructions a request cost beyond TLS alone (callgrind on the SBI
 * thread, bench/sbi_trust.sh's load).
 *
 * A never-indexed or unindexed literal with the static name "authorization"
 * (index 23) decodes the same whatever the dynamic table holds, and leaves
 * the table as it was. So once nghttp2 has decoded (and validated) a value
 * on a connection, the memo keeps it with nghttp2's own encoding of it;
 * a later HEADERS frame whose block holds that literal octet for octet has
 * the representation cut out, and the stream is given the value that
 * nghttp2 would have given. Anything else, or anything the scan cannot
 * follow (a frame split across reads, CONTINUATION, an integer past 2^28,
 * a string past its block), passes untouched: nghttp2 stays the judge of
 * every octet it is given.
 *
 * Measured (2026-12-02, bench/sbi_trust.sh's load, callgrind on the SBI
 * thread): mTLS + OAuth2 costs 33 900 instructions a request with the
 * memo, 44 100 without, against TLS alone's 25 700; the bench's medians of
 * 5 rounds went from 0.59 and 0.72x TLS alone to 0.80 and 0.92x, runs
 * interleaved in the same hour.
 *
 * One connection's, on the SBI thread; never blocks.
 */

#include <stddef.h>
#include <stdint.h>

struct akma_authz_memo {
	/* where the scan is in the client's octets */
	uint32_t preface_left; /* of the 24-octet connection preface */
	uint32_t frame_left;   /* payload octets of the current frame still to pass */
	uint8_t head[9];       /* a frame header split across reads */
	uint8_t head_have;
	/* the memo: the value, and the string representation (H bit, length,
	 * octets) nghttp2 encodes it as */
	char *value;
	size_t value_len;
	uint8_t *coded;
	size_t coded_len;
	uint64_t cuts; /* frames cut: for tests and metrics */
};

/* A new connection's memo: empty, the preface still to come. */
void akma_authz_memo_init(struct akma_authz_memo *m);

/* Wipes and frees what the memo holds. */
void akma_authz_memo_clear(struct akma_authz_memo *m);

/* Keeps value[0..len) (an Authorization field nghttp2 has just delivered,
 * so decoded and validated) as the memo, with nghttp2's encoding of it;
 * a no-op when it is already the memo. Returns 0, or -ENOMEM (the memo is
 * then empty: nothing is cut). */
int akma_authz_memo_learn(struct akma_authz_memo *m, const char *value, size_t len);

/* Of buf[*pos..len), octets the client sent and nghttp2 is to get next:
 * sets *off and *n to the span to feed it and moves *pos past it. Returns
 * the stream ID of the HEADERS frame the span is (its Authorization field
 * taken out, the frame rewritten in place within buf) or 0 for a span to
 * feed as it is. The caller loops until *pos == len, feeding each span in
 * order and, for a cut frame, delivering the memo's value to that stream as
 * the frame's field (header-list accounting included). A cut frame is
 * only ever a span of its own, begun where the last span ended: the frames
 * before it go to nghttp2 first, since a field they hold may change the
 * memo (the test's random clients found the value delivered from a memo
 * newer than the scan). */
int32_t akma_authz_memo_scan(struct akma_authz_memo *m, uint8_t *buf, size_t len, size_t *pos,
			     size_t *off, size_t *n);

#endif
