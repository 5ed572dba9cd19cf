/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_PKT_H
#define AKMA_PKT_H

/*
 * The frames of a DPDK port (issue 16's drivers/ethdev), on plain byte
 * buffers so that every rule is testable without EAL: a received Ethernet
 * frame is classified as a wire-protocol datagram for us (UDP on IPv4 or
 * IPv6 to our address and port), a request the port answers itself (an
 * ARP request or an IPv6 neighbour solicitation for one of our addresses,
 * an ICMP or ICMPv6 echo request), or a drop with its cause. Answers are
 * written in place over the request: the driver sends the same buffer back,
 * no allocation. A wire answer reuses the request's headers the same way
 * (addresses and ports swapped, lengths and checksums written).
 *
 * What is refused, and why: VLAN tags and other ethertypes (a port is one
 * untagged L2 segment); IPv4 options and IPv6 extension headers (a wire
 * datagram never needs them, and skipping them is where parsers go wrong);
 * fragments (a wire datagram fits one frame: akmad never sends more than
 * AKMA_WIRE_MAX_DGRAM, and reassembly is memory an attacker fills);
 * checksums that do not verify, unless the NIC says it verified them.
 *
 * Pure functions, any thread, never block.
 */

#include <stddef.h>
#include <stdint.h>

#define AKMA_PKT_ETH_LEN 14
#define AKMA_PKT_IPV4_LEN 20
#define AKMA_PKT_IPV6_LEN 40
#define AKMA_PKT_UDP_LEN 8

/* A port's own addresses. */
struct akma_pkt_if {
	uint8_t mac[6];
	int has_ipv4, has_ipv6;
	uint8_t ipv4[4];
	uint8_t ipv6[16];
	uint8_t ipv6_ll[16]; /* fe80:: + the EUI-64 of mac: answered in ND too */
	uint16_t udp_port;   /* host order */
};

/* Fill ifc->ipv6_ll from ifc->mac (RFC 4291 2.5.1, modified EUI-64). */
void akma_pkt_if_link_local(struct akma_pkt_if *ifc);

enum akma_pkt_kind {
	AKMA_PKT_WIRE = 0,     /* a UDP datagram to our address and port */
	AKMA_PKT_ANSWERED = 1, /* rewritten in place as the answer: send answer_len octets */
	AKMA_PKT_DROP = 2,     /* see drop */
};

/* Why a frame was dropped: one counter each. */
#define AKMA_PKT_DROPS(X)                                                  \
	X(truncated, "a header runs past the frame, or lengths disagree")  \
	X(ethertype, "neither IPv4, IPv6 nor ARP (VLAN tags included)")    \
	X(not_ours, "to another MAC or IP address")                        \
	X(ip_options, "IPv4 options or IPv6 extension headers")            \
	X(fragment, "an IP fragment")                                      \
	X(checksum, "an IP, UDP or ICMP checksum that does not verify")    \
	X(udp_port, "UDP to another port")                                 \
	X(protocol, "another IP protocol, or ICMP other than echo and ND") \
	X(arp, "ARP other than a request for our IPv4 address")            \
	X(nd, "neighbour discovery not for our address, or malformed")

enum akma_pkt_drop {
#define AKMA_PKT_DROP_ENUM(name, help) AKMA_PKT_DROP_##name,
	AKMA_PKT_DROPS(AKMA_PKT_DROP_ENUM)
#undef AKMA_PKT_DROP_ENUM
		AKMA_PKT_N_DROPS
};

extern const char *const akma_pkt_drop_names[AKMA_PKT_N_DROPS];

/* What the NIC verified (DPDK's RTE_MBUF_F_RX_*_CKSUM_GOOD), so that the
 * classifier does not sum again. */
#define AKMA_PKT_IP_CSUM_GOOD 0x1
#define AKMA_PKT_L4_CSUM_GOOD 0x2

struct akma_pkt_info {
	uint8_t kind;          /* enum akma_pkt_kind */
	uint8_t drop;          /* enum akma_pkt_drop, for AKMA_PKT_DROP */
	uint8_t ipv6;          /* the datagram or answer is IPv6 */
	uint8_t answered_what; /* AKMA_PKT_ANSWERED: 1 ARP, 2 ND, 3 echo */
	uint16_t payload_off;  /* AKMA_PKT_WIRE: the UDP payload */
	uint16_t payload_len;
	uint16_t answer_len; /* AKMA_PKT_ANSWERED: the frame to send */
};

/* Classify the len-octet frame in a buffer of cap octets (answers are
 * written into it in place, never past cap: a neighbour advertisement may
 * be longer than the solicitation). csum_good: AKMA_PKT_*_CSUM_GOOD bits
 * the NIC set. Returns info->kind. */
int akma_pkt_classify(const struct akma_pkt_if *ifc, uint8_t *frame, size_t len, size_t cap,
		      unsigned csum_good, struct akma_pkt_info *info);

/* Turn the frame of a WIRE datagram (info from akma_pkt_classify) into the
 * headers of the answer to it: MAC, IP addresses and UDP ports swapped, TTL
 * or hop limit 64, IPv4's DF set (a longer answer goes through
 * akma_pkt_fragment instead), lengths for payload_len octets of payload, which the
 * caller has written (or writes) at info->payload_off. Checksums are
 * computed unless offload (the NIC fills them: the caller sets the mbuf's
 * offload flags; the UDP checksum field then holds the pseudo-header sum,
 * as DPDK wants). Returns the frame's length. */
size_t akma_pkt_wire_answer(uint8_t *frame, const struct akma_pkt_info *info, uint16_t payload_len,
			    int offload);

/* An answer longer than the link's MTU goes as IP fragments (RFC 791; RFC
 * 8200 4.5 with a fragment header): frame is the whole answer (len octets,
 * from akma_pkt_wire_answer with offload 0, so the UDP checksum covers it
 * all), mtu the IP MTU, ident the fragments' identification. Call with
 * *off = 0, then again while it returns non-zero: each call writes the next
 * fragment's frame into out (cap octets, at least mtu + AKMA_PKT_ETH_LEN)
 * and returns its length; 0 when every octet went. */
size_t akma_pkt_fragment(const uint8_t *frame, size_t len, const struct akma_pkt_info *info,
			 unsigned mtu, uint32_t ident, size_t *off, uint8_t *out, size_t cap);

/* The Internet checksum's 16-bit ones'-complement sum of n octets, added to
 * sum (not folded, not inverted). */
uint32_t akma_pkt_sum(const void *data, size_t n, uint32_t sum);

/* Fold and invert a sum into the checksum field's value. */
uint16_t akma_pkt_fold(uint32_t sum);

#endif
