/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_ROUTE_H
#define AKMA_ROUTE_H

/*
 * The route table of a stateless front end (akma-sbi) in front of several
 * engine groups, each an akmad primary and its standby serving a set of
 * routing indicators (engine.routing_indicators), the way TS 33.535 spreads
 * subscribers over AAnF instances. The router is an SBI backend (sbi.h):
 *
 *   retrieve-applicationkey  to the group of the A-KID's RID
 *   register-anchorkey       to the group of the A-KID's RID, and a remove of
 *                            the same SUPI to every other group, so that one
 *                            subscriber never lives in two engines; answered
 *                            200 only once every other group answered the
 *                            remove (removed or not found), 503 otherwise
 *   remove-context           to every group: 204 if any removed it, 404 if
 *                            all answered not found, 503 if none removed it
 *                            and one did not answer
 *
 * An A-KID whose RID no group serves (nor a "*" group) is answered at once
 * RID_NOT_SERVED (SBI: 400). A group whose engine does not answer in time
 * gives 503 for its RIDs only. Each group has an active address, its primary
 * at first. An answer NOT_PRIMARY (a standby, or a demoted primary), or a
 * request that never reached an engine (the datagram refused, the port
 * unreachable: a dead akmad), sends the request on to the group's other
 * address, which becomes the active one; a timeout (the request may have
 * been applied) is a 503 and makes the other address active for the
 * requests that follow.
 *
 * The file, one group a line ('#' starts a comment):
 *
 *   # RIDs            primary              standby (optional)
 *   0000-0499,1234    udp:10.0.0.1:7777    udp:10.0.0.2:7777
 *   0500-0999         udp:10.0.1.1:7777    udp:10.0.1.2:7777
 *   *                 udp:10.0.2.1:7777
 *
 * The router's functions are called from the front end's one thread and
 * never block; akma_router_write_metrics() may be called from any thread.
 */

#include <stdint.h>
#include <stdio.h>

#include "req.h"
#include "rid.h"

#define AKMA_ROUTE_GROUPS_MAX 32
#define AKMA_ROUTE_NONE 0xffu

struct akma_route_group {
	char primary[256], standby[256]; /* wire addresses; standby "" when none */
	struct akma_rid_set rids;
	int line;
};

struct akma_route_table {
	struct akma_route_group groups[AKMA_ROUTE_GROUPS_MAX];
	unsigned n;
	uint8_t default_group;          /* the "*" line, or AKMA_ROUTE_NONE */
	uint8_t of_rid[AKMA_RID_SLOTS]; /* group of each RID, AKMA_ROUTE_NONE */
	struct akma_rid_rule rule;
};

/* Parse the table's text (name: for messages) under rule. Refuses a RID in
 * two groups, two "*" lines, a bad address or list, more than
 * AKMA_ROUTE_GROUPS_MAX groups, and an empty table. Returns 0, or -1 with
 * "NAME:LINE: reason" in why. */
int akma_route_table_parse(const char *text, const char *name, const struct akma_rid_rule *rule,
			   struct akma_route_table *t, char *why, size_t why_size);

/* The same, from a file. Blocks on the file. */
int akma_route_table_load(const char *path, const struct akma_rid_rule *rule,
			  struct akma_route_table *t, char *why, size_t why_size);

/* The group of an A-KID, or AKMA_ROUTE_NONE. */
static inline unsigned akma_route_lookup(const struct akma_route_table *t, const uint8_t *akid,
					 size_t len)
{
	uint32_t i = akma_rid_of_akid(&t->rule, akid, len);
	return i < AKMA_RID_SLOTS && t->of_rid[i] != AKMA_ROUTE_NONE ? t->of_rid[i]
								     : t->default_group;
}

struct akma_router;

/* Open a wire client to every address of t (copied) with the PSK; at most
 * max_in_flight requests at once, fan-out copies included; an engine answer
 * later than timeout_ms is a 503. Returns NULL with a reason. */
struct akma_router *akma_router_open(const struct akma_route_table *t, const uint8_t psk[32],
				     unsigned max_in_flight, unsigned timeout_ms, char *why,
				     size_t why_size);
void akma_router_close(struct akma_router *r);

/* The SBI backend's four calls (sbi.h struct akma_sbi_backend). */
int akma_router_alloc(struct akma_router *r, struct akma_req **q);
void akma_router_release(struct akma_router *r, struct akma_req *q);
unsigned akma_router_submit(struct akma_router *r, struct akma_req **q, unsigned n,
			    struct akma_req **rejected, unsigned *n_rejected);
unsigned akma_router_poll(struct akma_router *r, struct akma_req **out, unsigned max);

/* The router's series in the Prometheus text format (akmad_route_*:
 * README, "Metrics"): per group and address, requests sent, answered,
 * timed out, answered NOT_PRIMARY, and which address is active; failovers
 * per group; requests with no route. Relaxed reads, never blocks. */
void akma_router_write_metrics(const struct akma_router *r, FILE *f);

#endif
