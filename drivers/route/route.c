/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route table and the router (see route.h). One wire client carries
 * every group's traffic: group g's primary is server 2g, its standby 2g+1,
 * and beside each request of the client's pool the router keeps a track:
 * its group, the addresses it was sent to, and for a fan-out the parent it
 * reports to or the results it gathers.
 *
 * A register's removes in the other groups are prepared with it but sent
 * only once its own engine has stored it: a registration the engine refuses
 * (a bad K_AKMA, not primary) removes nothing anywhere. A remove-context
 * goes to every group at once, the request itself to group 0 and a copy to
 * each other. Requests a route cannot take (no group for the RID) are
 * answered in place and handed back by the next poll, so the front end
 * sees one path for every answer.
 *
 * The cost on the path of a retrieve is the RID's index (a memchr over at
 * most 5 octets), one table load and a pointer appended to its server's
 * batch; measured with akma-bench sbi through akma-sbi, table and no table
 * in the same run (README, "Engines split by routing indicator").
 */
#include "route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "clock.h"
#include "log.h"
#include "wire_client.h"

#define NO_TRACK UINT32_MAX
#define BATCH 64

/* ---- the table ---------------------------------------------------------------------------- */

static int check_address(const char *what, const char *a, char *why, size_t why_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	return akma_addr_parse(what, a, AKMA_ADDR_WIRE, &ss, &len, why, why_size);
}

int akma_route_table_parse(const char *text, const char *name, const struct akma_rid_rule *rule,
			   struct akma_route_table *t, char *why, size_t why_size)
{
	char line[1024], e[512];
	int no = 0;

	memset(t, 0, sizeof(*t));
	memset(t->of_rid, AKMA_ROUTE_NONE, sizeof(t->of_rid));
	t->default_group = AKMA_ROUTE_NONE;
	t->rule = *rule;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		no++;
		if (n >= sizeof(line)) {
			snprintf(why, why_size, "%s:%d: line too long", name, no);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (p[n] == '\n');
		line[strcspn(line, "#")] = 0;
		char *save, *f[4];
		int k = 0;
		for (char *w = strtok_r(line, " \t\r", &save); w;
		     w = strtok_r(NULL, " \t\r", &save))
			f[k < 4 ? k : 3] = w, k++;
		if (!k)
			continue;
		if (k < 2 || k > 3) {
			snprintf(why, why_size,
				 "%s:%d: a line is 'RIDS PRIMARY [STANDBY]' (RIDS a list like "
				 "0001,0100-0199 without spaces, or *)",
				 name, no);
			return -1;
		}
		if (t->n == AKMA_ROUTE_GROUPS_MAX) {
			snprintf(why, why_size, "%s:%d: more than %d groups", name, no,
				 AKMA_ROUTE_GROUPS_MAX);
			return -1;
		}
		struct akma_route_group *g = &t->groups[t->n];
		g->line = no;
		if (check_address("primary", f[1], e, sizeof(e)) != 0 ||
		    (k == 3 && check_address("standby", f[2], e, sizeof(e)) != 0)) {
			snprintf(why, why_size, "%s:%d: %s", name, no, e);
			return -1;
		}
		snprintf(g->primary, sizeof(g->primary), "%s", f[1]);
		snprintf(g->standby, sizeof(g->standby), "%s", k == 3 ? f[2] : "");
		if (!strcmp(f[0], "*")) {
			if (t->default_group != AKMA_ROUTE_NONE) {
				snprintf(why, why_size,
					 "%s:%d: a second '*' group (the first: line %d)", name, no,
					 t->groups[t->default_group].line);
				return -1;
			}
			t->default_group = (uint8_t)t->n;
		} else {
			if (akma_rid_set_parse(f[0], &g->rids, e, sizeof(e)) != 0) {
				snprintf(why, why_size, "%s:%d: %s", name, no, e);
				return -1;
			}
			for (uint32_t i = 0; i < AKMA_RID_SLOTS; i++) {
				if (!akma_rid_set_has(&g->rids, i))
					continue;
				if (t->of_rid[i] != AKMA_ROUTE_NONE) {
					char rid[5];
					snprintf(why, why_size,
						 "%s:%d: routing indicator %s is already routed by "
						 "line %d",
						 name, no, akma_rid_name(i, rid),
						 t->groups[t->of_rid[i]].line);
					return -1;
				}
				t->of_rid[i] = (uint8_t)t->n;
			}
		}
		t->n++;
	}
	if (!t->n) {
		snprintf(why, why_size, "%s: no route: a line is 'RIDS PRIMARY [STANDBY]'", name);
		return -1;
	}
	return 0;
}

int akma_route_table_load(const char *path, const struct akma_rid_rule *rule,
			  struct akma_route_table *t, char *why, size_t why_size)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(why, why_size, "route table %s: %s", path, strerror(errno));
		return -1;
	}
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	int big = !feof(f);
	fclose(f);
	if (big) {
		snprintf(why, why_size, "route table %s: larger than 64 KiB", path);
		return -1;
	}
	text[n] = 0;
	return akma_route_table_parse(text, path, rule, t, why, why_size);
}

/* ---- the router --------------------------------------------------------------------------- */

/* Beside each request of the pool. A parent gathers its fan-out's results
 * (n_ok removed, n_nf not found, n_fail anything else, first_fail the first
 * such status); a child names its parent. */
struct track {
	uint32_t parent;     /* NO_TRACK: not a child */
	uint32_t next_child; /* a register's unsent removes, linked; NO_TRACK ends */
	uint32_t first_child;
	uint16_t pending; /* results still to come, its own included */
	uint8_t group;
	uint8_t addr;  /* 0 primary, 1 standby: where it went last */
	uint8_t tried; /* bit per address */
	uint8_t n_ok, n_nf, n_fail, first_fail;
};

struct group_stats {
	uint64_t sent[2], answered[2], timeouts[2], refused[2], not_primary[2], failovers;
};

struct akma_router {
	struct akma_route_table t;
	struct akma_wire_client *c;
	struct track *tr;
	unsigned server[AKMA_ROUTE_GROUPS_MAX][2]; /* UINT32_MAX: no standby */
	uint8_t active[AKMA_ROUTE_GROUPS_MAX];     /* read by the metrics thread */
	struct group_stats st[AKMA_ROUTE_GROUPS_MAX];
	uint64_t no_route;
	uint64_t last_log_ms[AKMA_ROUTE_GROUPS_MAX];
	struct akma_req **ready;
	unsigned ready_head, ready_len, size;
	unsigned n_servers;
	struct akma_req *batch[AKMA_WIRE_CLIENT_SERVERS][BATCH];
	unsigned n_batch[AKMA_WIRE_CLIENT_SERVERS];
};

static inline void bump(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

struct akma_router *akma_router_open(const struct akma_route_table *t, const uint8_t psk[32],
				     unsigned max_in_flight, unsigned timeout_ms, char *why,
				     size_t why_size)
{
	const char *names[AKMA_WIRE_CLIENT_SERVERS];
	struct akma_router *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	r->t = *t;
	for (unsigned g = 0; g < t->n; g++) {
		r->server[g][0] = r->n_servers;
		names[r->n_servers++] = t->groups[g].primary;
		r->server[g][1] = UINT32_MAX;
		if (t->groups[g].standby[0]) {
			r->server[g][1] = r->n_servers;
			names[r->n_servers++] = t->groups[g].standby;
		}
	}
	r->c = akma_wire_client_open_multi(names, r->n_servers, psk, max_in_flight, timeout_ms, why,
					   why_size);
	if (!r->c) {
		free(r);
		return NULL;
	}
	r->size = akma_wire_client_size(r->c);
	r->tr = calloc(r->size, sizeof(*r->tr));
	r->ready = calloc(r->size, sizeof(*r->ready));
	if (!r->tr || !r->ready) {
		snprintf(why, why_size, "out of memory");
		akma_router_close(r);
		return NULL;
	}
	return r;
}

void akma_router_close(struct akma_router *r)
{
	if (!r)
		return;
	akma_wire_client_close(r->c);
	free(r->tr);
	free(r->ready);
	free(r);
}

int akma_router_alloc(struct akma_router *r, struct akma_req **q)
{
	int rc = akma_wire_client_alloc(r->c, q);
	if (rc == 0) {
		struct track *tr = &r->tr[akma_wire_client_index(r->c, *q)];
		memset(tr, 0, sizeof(*tr));
		tr->parent = tr->next_child = tr->first_child = NO_TRACK;
	}
	return rc;
}

void akma_router_release(struct akma_router *r, struct akma_req *q)
{
	akma_wire_client_release(r->c, q);
}

static void ready_push(struct akma_router *r, struct akma_req *q)
{
	r->ready[(r->ready_head + r->ready_len++) % r->size] = q;
}

static inline struct track *track_of(struct akma_router *r, const struct akma_req *q)
{
	return &r->tr[akma_wire_client_index(r->c, q)];
}

static inline struct akma_req *req_at(struct akma_router *r, uint32_t i, struct akma_req *any)
{
	/* The pool is one array: any request's place gives the others'. */
	return any - akma_wire_client_index(r->c, any) + i;
}

static int has_standby(const struct akma_router *r, unsigned g)
{
	return r->server[g][1] != UINT32_MAX;
}

/* Make group g's other address active; logged at most once a second. */
static void fail_over(struct akma_router *r, unsigned g, const char *reason)
{
	unsigned from = r->active[g], to = !from;
	const struct akma_route_group *gr = &r->t.groups[g];
	uint64_t now = akma_mono_ms();

	__atomic_store_n(&r->active[g], (uint8_t)to, __ATOMIC_RELAXED);
	bump(&r->st[g].failovers);
	if (now - r->last_log_ms[g] >= 1000) {
		r->last_log_ms[g] = now;
		akma_log(LOG_WARNING, "route: group %u (line %d): %s %s; now to %s", g, gr->line,
			 from ? gr->standby : gr->primary, reason, to ? gr->standby : gr->primary);
	}
}

static void flush_server(struct akma_router *r, unsigned s);

/* Queue q for the active address of group g. */
static void send_to(struct akma_router *r, struct akma_req *q, unsigned g)
{
	struct track *tr = track_of(r, q);
	unsigned a = has_standby(r, g) ? r->active[g] : 0, s = r->server[g][a];

	tr->group = (uint8_t)g;
	tr->addr = (uint8_t)a;
	tr->tried |= (uint8_t)(1u << a);
	r->batch[s][r->n_batch[s]++] = q;
	if (r->n_batch[s] == BATCH)
		flush_server(r, s);
}

static void finish(struct akma_router *r, struct akma_req *q);

/* A request its address could not take, or answered NOT_PRIMARY: on to the
 * group's other address if it has not been there, else answered as it is. */
static void try_other(struct akma_router *r, struct akma_req *q, const char *reason)
{
	struct track *tr = track_of(r, q);
	unsigned g = tr->group;

	if (has_standby(r, g) && !(tr->tried & (1u << !tr->addr))) {
		if (r->active[g] == tr->addr)
			fail_over(r, g, reason);
		send_to(r, q, g);
		return;
	}
	finish(r, q);
}

static void flush_server(struct akma_router *r, unsigned s)
{
	struct akma_req *rej[BATCH], *out[BATCH];
	unsigned n_rej, n = r->n_batch[s];

	/* Copied out: a refusal below may queue to other servers, and through
	 * them (never to this one: it was tried) flush recursively. */
	memcpy(out, r->batch[s], n * sizeof(out[0]));
	r->n_batch[s] = 0;
	akma_wire_client_submit_to(r->c, s, out, n, rej, &n_rej);
	for (unsigned i = 0; i < n; i++) {
		struct track *tr = track_of(r, out[i]);
		bump(&r->st[tr->group].sent[tr->addr]);
	}
	for (unsigned i = 0; i < n_rej; i++) {
		struct track *tr = track_of(r, rej[i]);
		if (rej[i]->status != AKMA_ST_OVERLOAD) {
			finish(r, rej[i]); /* too large: the engine would refuse it too */
			continue;
		}
		bump(&r->st[tr->group].refused[tr->addr]);
		try_other(r, rej[i], "refused the datagram");
	}
}

static void flush_all(struct akma_router *r)
{
	for (int again = 1; again;) {
		again = 0;
		for (unsigned s = 0; s < r->n_servers; s++)
			if (r->n_batch[s]) {
				flush_server(r, s);
				again = 1;
			}
	}
}

/* A fan-out result into its parent's tally. */
static void tally(struct track *p, uint8_t status)
{
	if (status == AKMA_ST_OK)
		p->n_ok++;
	else if (status == AKMA_ST_NOT_FOUND)
		p->n_nf++;
	else if (!p->n_fail++)
		p->first_fail = status;
}

/* Release a register's unsent removes (its own write was refused). */
static void drop_children(struct akma_router *r, struct akma_req *q)
{
	struct track *tr = track_of(r, q);
	for (uint32_t i = tr->first_child; i != NO_TRACK;) {
		uint32_t next = r->tr[i].next_child;
		akma_wire_client_release(r->c, req_at(r, i, q));
		i = next;
	}
	tr->first_child = NO_TRACK;
}

/* One result of q's own: the parent's count goes down; at zero, its answer
 * is settled and handed back. */
static void settle(struct akma_router *r, struct akma_req *p)
{
	struct track *tr = track_of(r, p);

	if (--tr->pending)
		return;
	if (p->type == AKMA_REQ_REMOVE) {
		p->bad_field = AKMA_FIELD_NONE;
		p->status = tr->n_ok                              ? AKMA_ST_OK
			    : !tr->n_fail                         ? AKMA_ST_NOT_FOUND
			    : tr->first_fail == AKMA_ST_BAD_FIELD ? AKMA_ST_BAD_FIELD
								  : AKMA_ST_OVERLOAD;
		if (p->status == AKMA_ST_BAD_FIELD)
			p->bad_field = AKMA_FIELD_UEID;
	} else if (p->type == AKMA_REQ_REGISTER && tr->n_fail) {
		/* Stored here, but some group may still hold the subscriber: not
		 * acknowledged, so that the AUSF tries again. */
		p->status = AKMA_ST_OVERLOAD;
	}
	ready_push(r, p);
}

static void finish(struct akma_router *r, struct akma_req *q)
{
	struct track *tr = track_of(r, q);

	if (tr->parent != NO_TRACK) {
		struct akma_req *p = req_at(r, tr->parent, q);
		tally(track_of(r, p), q->status);
		akma_wire_client_release(r->c, q);
		settle(r, p);
		return;
	}
	if (q->type == AKMA_REQ_REMOVE) {
		tally(tr, q->status);
	} else if (q->type == AKMA_REQ_REGISTER && tr->first_child != NO_TRACK) {
		if (q->status != AKMA_ST_OK) {
			drop_children(r, q);
		} else {
			/* Stored: now the removes in every other group. */
			for (uint32_t i = tr->first_child; i != NO_TRACK;) {
				uint32_t next = r->tr[i].next_child;
				tr->pending++;
				send_to(r, req_at(r, i, q), r->tr[i].group);
				i = next;
			}
			tr->first_child = NO_TRACK;
		}
	}
	settle(r, q);
}

/* A remove of p's UE identity for group g, linked to p. Returns it, or NULL
 * when the pool is spent. */
static struct akma_req *child_remove(struct akma_router *r, struct akma_req *p, unsigned g)
{
	struct akma_req *c;

	if (akma_router_alloc(r, &c) != 0)
		return NULL;
	c->type = AKMA_REQ_REMOVE;
	c->flags = 0;
	c->ueid_type = p->ueid_type;
	c->akid_len = 0;
	c->af_id_len = 0;
	c->gpsi_len = 0;
	c->ueid_len = p->ueid_len;
	memcpy(akma_req_ueid(c), akma_req_ueid(p), p->ueid_len);
	struct track *tc = track_of(r, c);
	tc->parent = akma_wire_client_index(r->c, p);
	tc->group = (uint8_t)g;
	return c;
}

/* Answer q here, at once (handed back by the next poll). */
static void answer_here(struct akma_router *r, struct akma_req *q, uint8_t status, uint8_t field)
{
	q->status = status;
	q->bad_field = field;
	explicit_bzero(q->kakma, sizeof(q->kakma));
	ready_push(r, q);
}

unsigned akma_router_submit(struct akma_router *r, struct akma_req **q, unsigned n,
			    struct akma_req **rejected, unsigned *n_rejected)
{
	(void)rejected;
	*n_rejected = 0;
	for (unsigned i = 0; i < n; i++) {
		struct akma_req *p = q[i];
		struct track *tr = track_of(r, p);
		tr->pending = 1;
		if (p->type == AKMA_REQ_REMOVE) {
			for (unsigned g = 1; g < r->t.n; g++) {
				struct akma_req *c = child_remove(r, p, g);
				if (!c) {
					tally(tr, AKMA_ST_OVERLOAD);
					continue;
				}
				tr->pending++;
				send_to(r, c, g);
			}
			send_to(r, p, 0);
			continue;
		}
		if (p->type != AKMA_REQ_GET_KAF && p->type != AKMA_REQ_REGISTER) {
			answer_here(r, p, AKMA_ST_BAD_FIELD, AKMA_FIELD_TYPE);
			continue;
		}
		unsigned g = akma_route_lookup(&r->t, akma_req_akid(p), p->akid_len);
		if (g == AKMA_ROUTE_NONE) {
			bump(&r->no_route);
			answer_here(r, p, AKMA_ST_RID_NOT_SERVED, AKMA_FIELD_AKID);
			continue;
		}
		if (p->type == AKMA_REQ_REGISTER) {
			for (unsigned h = 0; h < r->t.n; h++) {
				if (h == g)
					continue;
				struct akma_req *c = child_remove(r, p, h);
				if (!c) {
					tally(tr, AKMA_ST_OVERLOAD);
					continue;
				}
				struct track *tc = track_of(r, c);
				tc->next_child = tr->first_child;
				tr->first_child = akma_wire_client_index(r->c, c);
			}
		}
		send_to(r, p, g);
	}
	flush_all(r);
	return n;
}

unsigned akma_router_poll(struct akma_router *r, struct akma_req **out, unsigned max)
{
	struct akma_req *done[BATCH];
	unsigned n;

	/* Room for what this poll may settle: at most one per answer. */
	while (r->ready_len + BATCH <= r->size &&
	       (n = akma_wire_client_poll(r->c, done, BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct akma_req *q = done[i];
			struct track *tr = track_of(r, q);
			struct group_stats *st = &r->st[tr->group];
			int why = akma_wire_client_unanswered(r->c, q);
			if (why == AKMA_WIRE_CLIENT_REFUSED) {
				bump(&st->refused[tr->addr]);
				try_other(r, q, "is not listening (port unreachable)");
				continue;
			}
			if (why == AKMA_WIRE_CLIENT_TIMED_OUT) {
				bump(&st->timeouts[tr->addr]);
				if (has_standby(r, tr->group) && r->active[tr->group] == tr->addr)
					fail_over(r, tr->group, "did not answer in time");
				finish(r, q);
				continue;
			}
			bump(&st->answered[tr->addr]);
			if (q->status == AKMA_ST_NOT_PRIMARY) {
				bump(&st->not_primary[tr->addr]);
				try_other(r, q, "answered NOT_PRIMARY");
				continue;
			}
			finish(r, q);
		}
		flush_all(r);
		if (n < BATCH)
			break;
	}
	unsigned got = 0;
	while (got < max && r->ready_len) {
		out[got++] = r->ready[r->ready_head];
		r->ready_head = (r->ready_head + 1) % r->size;
		r->ready_len--;
	}
	return got;
}

void akma_router_write_metrics(const struct akma_router *r, FILE *f)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} per_addr[] = {
		{"akmad_route_sent_total", "Requests sent to an engine address.",
		 offsetof(struct group_stats, sent)},
		{"akmad_route_answered_total", "Answers received from an engine address.",
		 offsetof(struct group_stats, answered)},
		{"akmad_route_timeouts_total",
		 "Requests an engine address did not answer in time (503 for its RIDs).",
		 offsetof(struct group_stats, timeouts)},
		{"akmad_route_refused_total",
		 "Requests an engine address never received: the datagram refused, or its port "
		 "unreachable (a dead akmad); sent on to the group's other address.",
		 offsetof(struct group_stats, refused)},
		{"akmad_route_not_primary_total",
		 "Answers NOT_PRIMARY from an engine address (a standby, or a demoted primary).",
		 offsetof(struct group_stats, not_primary)},
	};
	for (size_t m = 0; m < sizeof(per_addr) / sizeof(per_addr[0]); m++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", per_addr[m].name, per_addr[m].help,
			per_addr[m].name);
		for (unsigned g = 0; g < r->t.n; g++)
			for (unsigned a = 0; a < 2; a++) {
				if (a && !has_standby(r, g))
					continue;
				const uint64_t *v = (const uint64_t *)((const char *)&r->st[g] +
								       per_addr[m].off);
				fprintf(f, "%s{group=\"%u\",role=\"%s\",address=\"%s\"} %llu\n",
					per_addr[m].name, g, a ? "standby" : "primary",
					a ? r->t.groups[g].standby : r->t.groups[g].primary,
					(unsigned long long)__atomic_load_n(&v[a],
									    __ATOMIC_RELAXED));
			}
	}
	fprintf(f, "# HELP akmad_route_active 1 for the address a group's requests go to.\n"
		   "# TYPE akmad_route_active gauge\n");
	for (unsigned g = 0; g < r->t.n; g++)
		for (unsigned a = 0; a < 2; a++)
			if (!a || has_standby(r, g))
				fprintf(f,
					"akmad_route_active{group=\"%u\",role=\"%s\",address=\"%"
					"s\"} %d\n",
					g, a ? "standby" : "primary",
					a ? r->t.groups[g].standby : r->t.groups[g].primary,
					__atomic_load_n(&r->active[g], __ATOMIC_RELAXED) == a);
	fprintf(f, "# HELP akmad_route_failovers_total Times a group's active address changed.\n"
		   "# TYPE akmad_route_failovers_total counter\n");
	for (unsigned g = 0; g < r->t.n; g++)
		fprintf(f, "akmad_route_failovers_total{group=\"%u\"} %llu\n", g,
			(unsigned long long)__atomic_load_n(&r->st[g].failovers, __ATOMIC_RELAXED));
	uint64_t dd, da;
	akma_wire_client_dropped(r->c, &dd, &da);
	fprintf(f,
		"# HELP akmad_route_dropped_datagrams_total Datagrams from the engines dropped: "
		"not sealed by the PSK, replayed or stale.\n"
		"# TYPE akmad_route_dropped_datagrams_total counter\n"
		"akmad_route_dropped_datagrams_total %llu\n"
		"# HELP akmad_route_late_answers_total Answers dropped: their request had timed "
		"out or gone to the group's other address.\n"
		"# TYPE akmad_route_late_answers_total counter\n"
		"akmad_route_late_answers_total %llu\n",
		(unsigned long long)dd, (unsigned long long)da);
	fprintf(f,
		"# HELP akmad_route_no_route_total Requests whose A-KID's routing indicator no "
		"group serves (400).\n# TYPE akmad_route_no_route_total counter\n"
		"akmad_route_no_route_total %llu\n",
		(unsigned long long)__atomic_load_n(&r->no_route, __ATOMIC_RELAXED));
}
