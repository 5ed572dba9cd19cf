/* SPDX-License-Identifier: BSD-3-Clause */
/* The primary's lease in Redis (see redis.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "redis_priv.h"

/* ---- the lease -------------------------------------------------------------------------------- */

static int lease_holder(struct akma_redis *r, char *holder, size_t holder_size)
{
	const char *argv[] = {"GET", AKMA_REDIS_LEASE_KEY};
	size_t len[] = {3, sizeof(AKMA_REDIS_LEASE_KEY) - 1};
	redisReply *rep = akma_redis_command(r->c, 2, argv, len);
	if (!rep)
		return -EIO;
	snprintf(holder, holder_size, "%s", rep->type == REDIS_REPLY_STRING ? rep->str : "");
	freeReplyObject(rep);
	return 0;
}

int akma_redis_lease_acquire(struct akma_redis *r, const char *id, unsigned ms, char *holder,
			     size_t holder_size)
{
	char t[16];

	if (!r->c)
		return -EIO;
	const char *argv[] = {"SET", AKMA_REDIS_LEASE_KEY, id, "NX", "PX", t};
	size_t len[] = {3, sizeof(AKMA_REDIS_LEASE_KEY) - 1,        strlen(id), 2,
			2, (size_t)snprintf(t, sizeof(t), "%u", ms)};
	redisReply *rep = akma_redis_command(r->c, 6, argv, len);
	if (!rep)
		return -EIO;
	int rc = rep->type == REDIS_REPLY_STATUS ? 1
		 : rep->type == REDIS_REPLY_NIL  ? 0
						 : -EREMOTEIO;
	freeReplyObject(rep);
	if (rc == 1)
		snprintf(holder, holder_size, "%s", id);
	else if (rc == 0 && lease_holder(r, holder, holder_size) != 0)
		return -EIO;
	return rc;
}

/* Extend our lease, or take a free one; answer who holds it otherwise. */
static const char renew_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v == ARGV[1] or not v then "
	"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
	"return v";

int akma_redis_lease_renew(struct akma_redis *r, const char *id, unsigned ms, char *holder,
			   size_t holder_size)
{
	char t[16];

	if (!r->c)
		return -EIO;
	const char *argv[] = {"EVAL", renew_script, "1", AKMA_REDIS_LEASE_KEY, id, t};
	size_t len[] = {4,          sizeof(renew_script) - 1,
			1,          sizeof(AKMA_REDIS_LEASE_KEY) - 1,
			strlen(id), (size_t)snprintf(t, sizeof(t), "%u", ms)};
	redisReply *rep = akma_redis_command(r->c, 6, argv, len);
	if (!rep)
		return -EIO;
	int rc;
	if (rep->type == REDIS_REPLY_INTEGER) {
		rc = 1;
		snprintf(holder, holder_size, "%s", id);
	} else if (rep->type == REDIS_REPLY_STRING) {
		rc = 0;
		snprintf(holder, holder_size, "%s", rep->str);
	} else {
		rc = -EREMOTEIO;
	}
	freeReplyObject(rep);
	return rc;
}

int akma_redis_lease_replicated(struct akma_redis *r, unsigned replicas, unsigned timeout_ms)
{
	char n[16], t[16];

	if (!r->c)
		return -EIO;
	const char *argv[] = {"WAIT", n, t};
	size_t len[] = {4, (size_t)snprintf(n, sizeof(n), "%u", replicas),
			(size_t)snprintf(t, sizeof(t), "%u", timeout_ms)};
	redisReply *rep = akma_redis_command(r->c, 3, argv, len);
	if (!rep)
		return -EIO;
	int rc = rep->type != REDIS_REPLY_INTEGER      ? -EREMOTEIO
		 : rep->integer >= (long long)replicas ? 1
						       : -EAGAIN;
	freeReplyObject(rep);
	return rc;
}

static const char release_script[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
	"return 0";

void akma_redis_lease_release(struct akma_redis *r, const char *id)
{
	if (!r->c)
		return;
	const char *argv[] = {"EVAL", release_script, "1", AKMA_REDIS_LEASE_KEY, id};
	size_t len[] = {4, sizeof(release_script) - 1, 1, sizeof(AKMA_REDIS_LEASE_KEY) - 1,
			strlen(id)};
	redisReply *rep = akma_redis_command(r->c, 5, argv, len);
	if (rep)
		freeReplyObject(rep);
}
