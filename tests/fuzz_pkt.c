/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for what an attacker on a DPDK port's segment or in an
 * A-KID controls: the input is an Ethernet frame, classified for an
 * interface with IPv4 and IPv6 (drivers/ethdev/pkt.c), a wire datagram
 * turned into an answer; and the same octets as a routing-indicator list
 * and as an A-KID under both rules (engine/rid.c). Invariants, not just
 * "no crash": a datagram's payload lies inside the frame, an answer inside
 * the buffer, and a RID's index inside the table. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pkt.h"
#include "rid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[2048];
	static struct akma_pkt_if ifc = {
		.mac = {0x02, 0, 0, 0xaa, 0xbb, 0xcc},
		.has_ipv4 = 1,
		.has_ipv6 = 1,
		.ipv4 = {10, 0, 0, 1},
		.ipv6 = {0xfd, [15] = 1},
		.udp_port = 7777,
	};
	if (!ifc.ipv6_ll[0])
		akma_pkt_if_link_local(&ifc);
	if (size > 1500)
		size = 1500;
	memcpy(frame, data, size);
	struct akma_pkt_info info;
	int kind = akma_pkt_classify(&ifc, frame, size, sizeof(frame), data[0] & 3u, &info);
	if (kind == AKMA_PKT_WIRE) {
		if ((size_t)info.payload_off + info.payload_len > size)
			__builtin_trap();
		size_t n = akma_pkt_wire_answer(frame, &info, info.payload_len, data[0] & 4);
		if (n > sizeof(frame))
			__builtin_trap();
	} else if (kind == AKMA_PKT_ANSWERED && info.answer_len > sizeof(frame)) {
		__builtin_trap();
	} else if (kind == AKMA_PKT_DROP && info.drop >= AKMA_PKT_N_DROPS) {
		__builtin_trap();
	}

	static char text[512];
	size_t t = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, t);
	text[t] = 0;
	struct akma_rid_set set;
	char why[256], back[8192];
	if (akma_rid_set_parse(text, &set, why, sizeof(why)) == 0)
		akma_rid_set_format(&set, back, sizeof(back));
	for (uint8_t p = 0; p <= 4; p++) {
		struct akma_rid_rule rule = {p};
		uint32_t i = akma_rid_of_akid(&rule, data, size);
		if (i != AKMA_RID_NONE && i >= AKMA_RID_SLOTS)
			__builtin_trap();
	}
	return 0;
}
