/* SPDX-License-Identifier: BSD-3-Clause */
/* Routing indicators: sets, rules, lists (see rid.h). */
#include "rid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t rid_base[5] = {0, 0, 10, 110, 1110};

int akma_rid_rule_parse(const char *text, struct akma_rid_rule *rule, char *why, size_t why_size)
{
	if (!strcmp(text, "dot")) {
		rule->prefix_len = 0;
		return 0;
	}
	if (!strncmp(text, "prefix:", 7) && text[7] >= '1' && text[7] <= '4' && !text[8]) {
		rule->prefix_len = (uint8_t)(text[7] - '0');
		return 0;
	}
	snprintf(why, why_size,
		 "'%s': a RID rule is \"dot\" (the username up to its first '.') or "
		 "\"prefix:N\" (its first N characters, N 1..4)",
		 text);
	return -1;
}

const char *akma_rid_rule_name(const struct akma_rid_rule *rule, char *buf, size_t size)
{
	if (!rule->prefix_len)
		snprintf(buf, size, "dot");
	else
		snprintf(buf, size, "prefix:%u", rule->prefix_len);
	return buf;
}

uint32_t akma_rid_of_akid(const struct akma_rid_rule *rule, const uint8_t *akid, size_t len)
{
	const uint8_t *at = memchr(akid, '@', len);
	size_t user = at ? (size_t)(at - akid) : len;

	if (rule->prefix_len)
		return user >= rule->prefix_len ? akma_rid_index(akid, rule->prefix_len)
						: AKMA_RID_NONE;
	/* A RID is at most 4 digits: the '.' is within the first 5 octets. */
	const uint8_t *dot = memchr(akid, '.', user < 5 ? user : 5);
	return dot ? akma_rid_index(akid, (size_t)(dot - akid)) : AKMA_RID_NONE;
}

const char *akma_rid_name(uint32_t i, char *buf)
{
	unsigned n = i >= 1110 ? 4 : i >= 110 ? 3 : i >= 10 ? 2 : 1;
	unsigned v = (i - rid_base[n]) % 10000;
	for (unsigned k = n; k-- > 0; v /= 10)
		buf[k] = (char)('0' + v % 10);
	buf[n] = 0;
	return buf;
}

unsigned akma_rid_set_count(const struct akma_rid_set *set)
{
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(set->bits) / sizeof(set->bits[0]); i++)
		n += (unsigned)__builtin_popcountll(set->bits[i]);
	return n;
}

/* One RID of an item: 1..4 digits, s..e. */
static uint32_t item_index(const char *s, const char *e)
{
	return akma_rid_index((const uint8_t *)s, (size_t)(e - s));
}

int akma_rid_set_parse(const char *list, struct akma_rid_set *set, char *why, size_t why_size)
{
	memset(set, 0, sizeof(*set));
	const char *p = list;
	while (*p) {
		const char *end = p + strcspn(p, ",");
		const char *s = p, *e = end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		const char *dash = memchr(s, '-', (size_t)(e - s));
		uint32_t lo = item_index(s, dash ? dash : e);
		uint32_t hi = dash ? item_index(dash + 1, e) : lo;
		size_t lo_len = (size_t)((dash ? dash : e) - s);
		size_t hi_len = dash ? (size_t)(e - dash - 1) : lo_len;
		if (*end && !end[1]) {
			snprintf(why, why_size, "'%s': a trailing comma", list);
			return -1;
		}
		if (lo == AKMA_RID_NONE || hi == AKMA_RID_NONE) {
			snprintf(why, why_size,
				 "'%.*s': a routing indicator is 1 to 4 digits, a range two of "
				 "the same length (0100-0199)",
				 (int)(e - s), s);
			return -1;
		}
		if (lo_len != hi_len || hi < lo) {
			snprintf(why, why_size,
				 "'%.*s': a range's ends have the same number of digits, the "
				 "first no greater than the second",
				 (int)(e - s), s);
			return -1;
		}
		for (uint32_t i = lo; i <= hi; i++)
			akma_rid_set_add(set, i);
		p = *end ? end + 1 : end;
	}
	return 0;
}

int akma_rid_set_format(const struct akma_rid_set *set, char *buf, size_t size)
{
	size_t off = 0;
	char a[5], b[5];

	if (size)
		buf[0] = 0;
	for (uint32_t i = 0; i < AKMA_RID_SLOTS;) {
		if (!akma_rid_set_has(set, i)) {
			i++;
			continue;
		}
		/* A run ends at the last index of its length. */
		unsigned n = i >= 1110 ? 4 : i >= 110 ? 3 : i >= 10 ? 2 : 1;
		uint32_t last = n == 4 ? AKMA_RID_SLOTS - 1 : rid_base[n + 1] - 1;
		uint32_t j = i;
		while (j < last && akma_rid_set_has(set, j + 1))
			j++;
		int w = j > i ? snprintf(buf + off, size - off, "%s%s-%s", off ? "," : "",
					 akma_rid_name(i, a), akma_rid_name(j, b))
			      : snprintf(buf + off, size - off, "%s%s", off ? "," : "",
					 akma_rid_name(i, a));
		if (w < 0 || (size_t)w >= size - off)
			return -1;
		off += (size_t)w;
		i = j + 1;
	}
	return (int)off;
}
