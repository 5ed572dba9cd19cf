/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_BENCH_LFHT_H
#define AKMA_BENCH_LFHT_H

/* The liburcu cds_lfht baseline that akma-bench store and engine both
 * measure: a node per context, looked up by the A-KID in a query slot of
 * bench_make_akids() (its length in the slot's last octet). */

#include <string.h>

#include <urcu/rculfhash.h>

#include "bench.h"
#include "ctx.h"

struct lfht_node {
	struct cds_lfht_node node;
	const struct akma_ctx *ctx;
};

static inline int lfht_match(struct cds_lfht_node *node, const void *key)
{
	const struct lfht_node *n = caa_container_of(node, struct lfht_node, node);
	const uint8_t *k = key;
	uint16_t len = k[BENCH_AKID_STRIDE - 1];
	return n->ctx->akid_len == len && memcmp(akma_ctx_akid(n->ctx), k, len) == 0;
}

#endif
