/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_RID_H
#define AKMA_RID_H

/*
 * Routing indicators (TS 23.003 2.2B: 1 to 4 decimal digits, TS 29.510
 * AanfInfo.routingIndicators ^[0-9]{1,4}$), compared as exact strings: "01"
 * is not "1". Each of the 11 110 such strings has a dense index: the
 * one-digit ones 0..9, the two-digit ones 10..109, the three-digit ones
 * 110..1109, the four-digit ones 1110..11109. A set is a bitmap over those
 * indexes (1.4 KiB), so the engine's check per request is one load, and a
 * route table is one octet per index.
 *
 * Where the RID sits in an A-KID is not fixed by TS 33.535 (the username
 * carries the RID and the A-TID): the rule says how to read it. "dot", the
 * default and this project's convention (spec/AKMA.md 1), takes the
 * username up to its first '.'; "prefix:N" takes the username's first N
 * characters (N 1..4).
 *
 * Everything here is pure, thread-safe and never blocks.
 */

#include <stddef.h>
#include <stdint.h>

#define AKMA_RID_SLOTS 11110u
#define AKMA_RID_NONE UINT32_MAX

struct akma_rid_set {
	uint64_t bits[(AKMA_RID_SLOTS + 63) / 64];
};

struct akma_rid_rule {
	uint8_t prefix_len; /* 0: "dot"; 1..4: "prefix:N" */
};

/* "dot" or "prefix:N". Returns 0, or -1 with a one-line reason. */
int akma_rid_rule_parse(const char *text, struct akma_rid_rule *rule, char *why, size_t why_size);

/* The rule as text ("dot", "prefix:2"), into buf of at least 10 octets. */
const char *akma_rid_rule_name(const struct akma_rid_rule *rule, char *buf, size_t size);

/* The index of the RID text s (n octets), or AKMA_RID_NONE when it is not
 * 1..4 digits. */
static inline uint32_t akma_rid_index(const uint8_t *s, size_t n)
{
	static const uint32_t base[5] = {0, 0, 10, 110, 1110};
	uint32_t v = 0;

	if (n < 1 || n > 4)
		return AKMA_RID_NONE;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return AKMA_RID_NONE;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	return base[n] + v;
}

/* The index of the A-KID's RID under the rule, or AKMA_RID_NONE when the
 * A-KID has none (no '.' before the '@' or the end, or not 1..4 digits). */
uint32_t akma_rid_of_akid(const struct akma_rid_rule *rule, const uint8_t *akid, size_t len);

/* The RID text of index i, NUL-terminated, into buf (at least 5 octets). */
const char *akma_rid_name(uint32_t i, char *buf);

static inline int akma_rid_set_has(const struct akma_rid_set *set, uint32_t i)
{
	return i < AKMA_RID_SLOTS && (set->bits[i / 64] >> (i % 64) & 1);
}

static inline void akma_rid_set_add(struct akma_rid_set *set, uint32_t i)
{
	set->bits[i / 64] |= 1ull << (i % 64);
}

/* How many RIDs the set holds. */
unsigned akma_rid_set_count(const struct akma_rid_set *set);

/* Parse a comma-separated list of RIDs and ranges ("0001,0100-0199,7";
 * spaces around items allowed; a range's two ends have the same length and
 * cover the RIDs of that length between them) into set (cleared first).
 * An empty list gives an empty set. Returns 0, or -1 with the item at fault
 * in why. */
int akma_rid_set_parse(const char *list, struct akma_rid_set *set, char *why, size_t why_size);

/* The set as a list, ranges folded ("0001,0100-0199"), into buf. Returns
 * the length, or -1 when it does not fit. */
int akma_rid_set_format(const struct akma_rid_set *set, char *buf, size_t size);

#endif
