/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connecting to Redis (see redis.h): one address, or the master Redis
 * Sentinel names, checked to be a master (ROLE) before it is used, since a
 * sentinel may name the old master for a moment after a failover. Every
 * reconnection asks the sentinels again.
 */
#include "redis_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "err.h"

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Ask the sentinels, in order, for the master's address. */
static int ask_sentinels(struct akma_redis *r, char *why, size_t why_size)
{
	char list[1024], host[256];
	uint16_t port;

	snprintf(list, sizeof(list), "%s", r->sentinels);
	snprintf(why, why_size, "no sentinel answered for master '%s'", r->master_name);
	for (char *save, *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (akma_addr_split("redis.sentinels", s, host, sizeof(host), &port, why,
				    why_size) != 0)
			return -1;
		redisContext *c = redisConnectWithTimeout(host, port, r->tv);
		if (!c || c->err) {
			if (c)
				redisFree(c);
			continue;
		}
		redisSetTimeout(c, r->tv);
		const char *argv[] = {"SENTINEL", "get-master-addr-by-name", r->master_name};
		size_t len[] = {8, 23, strlen(r->master_name)};
		redisReply *rep = akma_redis_command(c, 3, argv, len);
		if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
		    rep->element[0]->type == REDIS_REPLY_STRING) {
			snprintf(r->host, sizeof(r->host), "%s", rep->element[0]->str);
			r->port = atoi(rep->element[1]->str);
			freeReplyObject(rep);
			redisFree(c);
			return 0;
		}
		if (rep)
			freeReplyObject(rep);
		redisFree(c);
	}
	return -1;
}

static void drop(struct akma_redis *r)
{
	if (r->c)
		redisFree(r->c);
	if (r->sub)
		redisFree(r->sub);
	r->c = r->sub = NULL;
	akma_redis_forget(r);
}

redisContext *akma_redis_connect_one(struct akma_redis *r, char *why, size_t why_size)
{
	redisContext *c = redisConnectWithTimeout(r->host, r->port, r->tv);
	if (!c || c->err) {
		snprintf(why, why_size, "redis %s: %s", r->server, c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, r->tv);
	redisEnableKeepAlive(c);
	if (r->password) {
		const char *argv[] = {"AUTH", r->password};
		size_t len[] = {4, strlen(r->password)};
		redisReply *rep = akma_redis_command(c, 2, argv, len);
		int ok = rep && rep->type == REDIS_REPLY_STATUS;
		if (!ok)
			snprintf(why, why_size, "redis %s: AUTH refused%s%s", r->server,
				 rep && rep->type == REDIS_REPLY_ERROR ? ": " : "",
				 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "");
		if (rep)
			freeReplyObject(rep);
		if (!ok) {
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

int akma_redis_reconnect(struct akma_redis *r, char *why, size_t why_size)
{
	drop(r);
	if (r->sentinels && ask_sentinels(r, why, why_size) != 0)
		return -EIO;
	snprintf(r->server, sizeof(r->server), "%s:%d", r->host, r->port);
	r->c = akma_redis_connect_one(r, why, why_size);
	if (!r->c)
		return -EIO;
	if (r->sentinels) {
		/* A sentinel may name the old master for a moment after a failover. */
		const char *argv[] = {"ROLE"};
		size_t len[] = {4};
		redisReply *rep = akma_redis_command(r->c, 1, argv, len);
		int master = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
			     rep->element[0]->type == REDIS_REPLY_STRING &&
			     strcmp(rep->element[0]->str, "master") == 0;
		if (rep)
			freeReplyObject(rep);
		if (!master) {
			snprintf(why, why_size, "redis %s (from the sentinels) is not a master yet",
				 r->server);
			drop(r);
			return -EIO;
		}
	}
	return 0;
}

struct akma_redis *akma_redis_open(const struct akma_redis_params *p,
				   const uint8_t kek[AKMA_REPL_KEK_LEN], char *why, size_t why_size)
{
	struct akma_redis *r = calloc(1, sizeof(*r));
	int err = -ENOMEM;

	if (!r) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	unsigned ms = p->timeout_ms ? p->timeout_ms : 2000;
	r->tv = (struct timeval){(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	r->password = dup_or_null(p->password);
	r->sentinels = dup_or_null(p->sentinels);
	r->master_name = dup_or_null(p->master_name);
	r->kek = akma_repl_kek_create(kek, &err);
	if (!r->kek) {
		snprintf(why, why_size, "replication KEK: %s", akma_strerror(err));
		goto fail;
	}
	if (r->sentinels && !r->master_name) {
		snprintf(why, why_size, "Sentinel needs a master name");
		goto fail;
	}
	uint16_t port;
	if (!r->sentinels) {
		if (akma_addr_split("redis.address", p->address ? p->address : "", r->host,
				    sizeof(r->host), &port, why, why_size) != 0)
			goto fail;
		r->port = port;
	}
	if (akma_redis_reconnect(r, why, why_size) != 0)
		goto fail;
	return r;
fail:
	akma_redis_close(r);
	return NULL;
}

void akma_redis_close(struct akma_redis *r)
{
	if (!r)
		return;
	drop(r);
	free(r->out);
	akma_repl_kek_free(r->kek);
	if (r->password) {
		explicit_bzero(r->password, strlen(r->password));
		free(r->password);
	}
	free(r->sentinels);
	free(r->master_name);
	free(r);
}

const char *akma_redis_server(const struct akma_redis *r)
{
	return r->server;
}
