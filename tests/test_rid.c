/* SPDX-License-Identifier: BSD-3-Clause */
/* Routing indicators (engine/rid.h): indexes, rules, lists. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "rid.h"

static uint32_t idx(const char *s)
{
	return akma_rid_index((const uint8_t *)s, strlen(s));
}

static uint32_t of(const char *rule, const char *akid)
{
	struct akma_rid_rule r;
	char why[256];
	CHECK(akma_rid_rule_parse(rule, &r, why, sizeof(why)) == 0, "%s", why);
	return akma_rid_of_akid(&r, (const uint8_t *)akid, strlen(akid));
}

int main(void)
{
	char buf[512], why[256];
	struct akma_rid_set set;
	struct akma_rid_rule rule;

	/* Every RID has its own index, and its name gives it back. */
	CHECK_EQ_INT(idx("0"), 0, "0");
	CHECK_EQ_INT(idx("9"), 9, "9");
	CHECK_EQ_INT(idx("00"), 10, "00");
	CHECK_EQ_INT(idx("1"), 1, "1");
	CHECK_EQ_INT(idx("01"), 11, "01 is not 1");
	CHECK_EQ_INT(idx("9999"), AKMA_RID_SLOTS - 1, "9999 is the last");
	CHECK_EQ_INT(idx(""), AKMA_RID_NONE, "empty");
	CHECK_EQ_INT(idx("12345"), AKMA_RID_NONE, "five digits");
	CHECK_EQ_INT(idx("1a"), AKMA_RID_NONE, "a letter");
	unsigned back = 0;
	for (uint32_t i = 0; i < AKMA_RID_SLOTS; i++)
		back += idx(akma_rid_name(i, buf)) == i;
	CHECK_EQ_INT(back, AKMA_RID_SLOTS, "name and index agree for every RID");

	/* The rules. */
	CHECK_EQ_INT(of("dot", "0123.AbC_-x@akma.5gc.mnc001.mcc001.3gppnetwork.org"), idx("0123"),
		     "dot: the username up to its first '.'");
	CHECK_EQ_INT(of("dot", "7.x"), idx("7"), "dot: no realm");
	CHECK_EQ_INT(of("dot", "01234.x@r"), AKMA_RID_NONE, "dot: five digits");
	CHECK_EQ_INT(of("dot", "0123x@r.0"), AKMA_RID_NONE, "dot: a '.' only in the realm");
	CHECK_EQ_INT(of("dot", ".x@r"), AKMA_RID_NONE, "dot: empty RID");
	CHECK_EQ_INT(of("dot", "ab.x@r"), AKMA_RID_NONE, "dot: not digits");
	CHECK_EQ_INT(of("prefix:4", "0123AbCdEf@r"), idx("0123"), "prefix:4");
	CHECK_EQ_INT(of("prefix:2", "0123AbCdEf@r"), idx("01"), "prefix:2");
	CHECK_EQ_INT(of("prefix:4", "012@r"), AKMA_RID_NONE, "prefix:4 of a 3-octet username");
	CHECK(akma_rid_rule_parse("prefix:5", &rule, why, sizeof(why)) != 0 && strstr(why, "1..4"),
	      "prefix:5 refused: %s", why);
	CHECK(akma_rid_rule_parse("slash", &rule, why, sizeof(why)) != 0, "an unknown rule");
	rule.prefix_len = 3;
	CHECK(!strcmp(akma_rid_rule_name(&rule, buf, sizeof(buf)), "prefix:3"), "%s", buf);

	/* Lists. */
	CHECK(akma_rid_set_parse("01, 0100-0199 ,7", &set, why, sizeof(why)) == 0, "%s", why);
	CHECK_EQ_INT(akma_rid_set_count(&set), 102, "1 + 100 + 1");
	CHECK(akma_rid_set_has(&set, idx("01")) && !akma_rid_set_has(&set, idx("1")) &&
		      akma_rid_set_has(&set, idx("0150")) && !akma_rid_set_has(&set, idx("150")) &&
		      !akma_rid_set_has(&set, idx("0200")) && akma_rid_set_has(&set, idx("7")),
	      "members");
	CHECK(!akma_rid_set_has(&set, AKMA_RID_NONE), "no RID is never a member");
	CHECK(akma_rid_set_format(&set, buf, sizeof(buf)) > 0 && !strcmp(buf, "7,01,0100-0199"),
	      "folded: %s", buf);
	CHECK(akma_rid_set_format(&set, buf, 5) == -1, "too small a buffer says so");
	CHECK(akma_rid_set_parse("", &set, why, sizeof(why)) == 0 && akma_rid_set_count(&set) == 0,
	      "empty list");
	CHECK(akma_rid_set_parse("0-9", &set, why, sizeof(why)) == 0 &&
		      akma_rid_set_count(&set) == 10,
	      "0-9");
	CHECK(akma_rid_set_parse("0000-9999", &set, why, sizeof(why)) == 0 &&
		      akma_rid_set_count(&set) == 10000 &&
		      akma_rid_set_format(&set, buf, sizeof(buf)) > 0 && !strcmp(buf, "0000-9999"),
	      "every 4-digit RID: %s", buf);
	const char *bad[] = {"1,",        ",1", "1,,2", "12345", "0100-199",
			     "0199-0100", "a",  "1-",   "-1",    "01 02"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(akma_rid_set_parse(bad[i], &set, why, sizeof(why)) != 0, "'%s' refused",
		      bad[i]);
	CHECK(akma_rid_set_parse("0100-199", &set, why, sizeof(why)) != 0 &&
		      strstr(why, "same number of digits"),
	      "the reason names the fault: %s", why);
	return check_done("test_rid");
}
