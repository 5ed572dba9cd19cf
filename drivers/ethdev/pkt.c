/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames in and answers out (see pkt.h). Every field is read at an offset
 * checked against the frame's length first; multi-octet fields are read
 * and written octet by octet in network order, so nothing depends on the
 * buffer's alignment or the host's byte order.
 */
#include "pkt.h"

#include <string.h>

const char *const akma_pkt_drop_names[AKMA_PKT_N_DROPS] = {
#define AKMA_PKT_DROP_NAME(name, help) #name,
	AKMA_PKT_DROPS(AKMA_PKT_DROP_NAME)
#undef AKMA_PKT_DROP_NAME
};

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define ETH_IPV6 0x86dd
#define IP_ICMP 1
#define IP_UDP 17
#define IP_ICMPV6 58
#define IP6_FRAGMENT 44

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t akma_pkt_sum(const void *data, size_t n, uint32_t sum)
{
	const uint8_t *p = data;
	for (; n >= 2; p += 2, n -= 2)
		sum += get16(p);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold_only(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t akma_pkt_fold(uint32_t sum)
{
	return (uint16_t)~fold_only(sum);
}

void akma_pkt_if_link_local(struct akma_pkt_if *ifc)
{
	static const uint8_t prefix[8] = {0xfe, 0x80};
	memcpy(ifc->ipv6_ll, prefix, 8);
	ifc->ipv6_ll[8] = ifc->mac[0] ^ 0x02;
	ifc->ipv6_ll[9] = ifc->mac[1];
	ifc->ipv6_ll[10] = ifc->mac[2];
	ifc->ipv6_ll[11] = 0xff;
	ifc->ipv6_ll[12] = 0xfe;
	ifc->ipv6_ll[13] = ifc->mac[3];
	ifc->ipv6_ll[14] = ifc->mac[4];
	ifc->ipv6_ll[15] = ifc->mac[5];
}

static int drop(struct akma_pkt_info *info, enum akma_pkt_drop why)
{
	info->kind = AKMA_PKT_DROP;
	info->drop = (uint8_t)why;
	return AKMA_PKT_DROP;
}

static int answered(struct akma_pkt_info *info, unsigned what, size_t len)
{
	info->kind = AKMA_PKT_ANSWERED;
	info->answered_what = (uint8_t)what;
	info->answer_len = (uint16_t)len;
	return AKMA_PKT_ANSWERED;
}

/* The Ethernet header of an answer: back to the sender, from us. */
static void eth_reply(uint8_t *eth, const uint8_t mac[6])
{
	uint8_t sender[6];
	memcpy(sender, eth + 6, 6); /* through a copy: gcc -O2 with ASan misreads the bounds */
	memcpy(eth, sender, 6);
	memcpy(eth + 6, mac, 6);
}

static int is_broadcast(const uint8_t *mac)
{
	static const uint8_t all[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	return !memcmp(mac, all, 6);
}

/* ---- ARP ------------------------------------------------------------------------------------ */

static int arp(const struct akma_pkt_if *ifc, uint8_t *f, size_t len, struct akma_pkt_info *info)
{
	uint8_t *a = f + AKMA_PKT_ETH_LEN;
	if (len < AKMA_PKT_ETH_LEN + 28)
		return drop(info, AKMA_PKT_DROP_truncated);
	if (get16(a) != 1 || get16(a + 2) != ETH_IPV4 || a[4] != 6 || a[5] != 4 ||
	    get16(a + 6) != 1 || !ifc->has_ipv4 || memcmp(a + 24, ifc->ipv4, 4) ||
	    !(is_broadcast(f) || !memcmp(f, ifc->mac, 6)))
		return drop(info, AKMA_PKT_DROP_arp);
	put16(a + 6, 2);
	memcpy(a + 18, a + 8, 10); /* target := the sender's MAC and IP */
	memcpy(a + 8, ifc->mac, 6);
	memcpy(a + 14, ifc->ipv4, 4);
	eth_reply(f, ifc->mac);
	return answered(info, 1, AKMA_PKT_ETH_LEN + 28);
}

/* ---- IPv4 ----------------------------------------------------------------------------------- */

static uint32_t ipv4_pseudo(const uint8_t *ip, uint8_t proto, uint16_t l4_len)
{
	uint32_t s = akma_pkt_sum(ip + 12, 8, 0);
	return s + proto + l4_len;
}

/* The UDP datagram of the l4_len octets at l4, in frame f: our port, its
 * lengths and checksum right. pseudo is the pseudo-header's sum without
 * the length (the same for IPv4 and IPv6 while it fits 16 bits). Over IPv4
 * a zero checksum means none was computed (RFC 768); over IPv6 it is
 * mandatory, and a zero one is discarded (RFC 8200 8.1). */
static int udp(const struct akma_pkt_if *ifc, const uint8_t *f, const uint8_t *l4, uint16_t l4_len,
	       uint32_t pseudo, int ipv6, unsigned good, struct akma_pkt_info *info)
{
	uint16_t ulen;
	if (l4_len < AKMA_PKT_UDP_LEN || (ulen = get16(l4 + 4)) < AKMA_PKT_UDP_LEN || ulen > l4_len)
		return drop(info, AKMA_PKT_DROP_truncated);
	if (get16(l4 + 2) != ifc->udp_port)
		return drop(info, AKMA_PKT_DROP_udp_port);
	uint16_t csum = get16(l4 + 6);
	if (!(good & AKMA_PKT_L4_CSUM_GOOD) && (csum || ipv6) &&
	    (!csum || fold_only(akma_pkt_sum(l4, ulen, pseudo + ulen)) != 0xffff))
		return drop(info, AKMA_PKT_DROP_checksum);
	info->kind = AKMA_PKT_WIRE;
	info->ipv6 = (uint8_t)ipv6;
	info->payload_off = (uint16_t)(l4 + AKMA_PKT_UDP_LEN - f);
	info->payload_len = (uint16_t)(ulen - AKMA_PKT_UDP_LEN);
	return AKMA_PKT_WIRE;
}

static int ipv4(const struct akma_pkt_if *ifc, uint8_t *f, size_t len, unsigned good,
		struct akma_pkt_info *info)
{
	uint8_t *ip = f + AKMA_PKT_ETH_LEN;
	if (len < AKMA_PKT_ETH_LEN + AKMA_PKT_IPV4_LEN)
		return drop(info, AKMA_PKT_DROP_truncated);
	if (ip[0] >> 4 != 4)
		return drop(info, AKMA_PKT_DROP_protocol);
	if ((ip[0] & 0xf) < 5)
		return drop(info, AKMA_PKT_DROP_truncated);
	if ((ip[0] & 0xf) > 5)
		return drop(info, AKMA_PKT_DROP_ip_options);
	uint16_t total = get16(ip + 2);
	if (total < AKMA_PKT_IPV4_LEN || total > len - AKMA_PKT_ETH_LEN)
		return drop(info, AKMA_PKT_DROP_truncated);
	if (get16(ip + 6) & 0x3fff) /* MF, or an offset */
		return drop(info, AKMA_PKT_DROP_fragment);
	if (!(good & AKMA_PKT_IP_CSUM_GOOD) &&
	    fold_only(akma_pkt_sum(ip, AKMA_PKT_IPV4_LEN, 0)) != 0xffff)
		return drop(info, AKMA_PKT_DROP_checksum);
	if (!ifc->has_ipv4 || memcmp(ip + 16, ifc->ipv4, 4) || memcmp(f, ifc->mac, 6))
		return drop(info, AKMA_PKT_DROP_not_ours);
	uint8_t *l4 = ip + AKMA_PKT_IPV4_LEN;
	uint16_t l4_len = (uint16_t)(total - AKMA_PKT_IPV4_LEN);
	if (ip[9] == IP_UDP)
		return udp(ifc, f, l4, l4_len, ipv4_pseudo(ip, IP_UDP, 0), 0, good, info);
	if (ip[9] == IP_ICMP && l4_len >= 8 && l4[0] == 8 && l4[1] == 0) {
		if (!(good & AKMA_PKT_L4_CSUM_GOOD) &&
		    fold_only(akma_pkt_sum(l4, l4_len, 0)) != 0xffff)
			return drop(info, AKMA_PKT_DROP_checksum);
		l4[0] = 0; /* echo reply */
		put16(l4 + 2, 0);
		put16(l4 + 2, akma_pkt_fold(akma_pkt_sum(l4, l4_len, 0)));
		uint8_t tmp[4];
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
		ip[8] = 64;
		put16(ip + 10, 0);
		put16(ip + 10, akma_pkt_fold(akma_pkt_sum(ip, AKMA_PKT_IPV4_LEN, 0)));
		eth_reply(f, ifc->mac);
		return answered(info, 3, AKMA_PKT_ETH_LEN + (size_t)total);
	}
	return drop(info, AKMA_PKT_DROP_protocol);
}

/* ---- IPv6 ----------------------------------------------------------------------------------- */

static uint32_t ipv6_pseudo(const uint8_t *ip, uint8_t next, uint32_t l4_len)
{
	uint32_t s = akma_pkt_sum(ip + 8, 32, 0);
	return s + (l4_len >> 16) + (l4_len & 0xffff) + next;
}

/* Whether a is one of ours (the configured address or the link-local one). */
static const uint8_t *own_ipv6(const struct akma_pkt_if *ifc, const uint8_t *a)
{
	if (ifc->has_ipv6 && !memcmp(a, ifc->ipv6, 16))
		return ifc->ipv6;
	if (ifc->has_ipv6 && !memcmp(a, ifc->ipv6_ll, 16))
		return ifc->ipv6_ll;
	return NULL;
}

/* The solicited-node multicast group ff02::1:ffXX:XXXX of one of ours. */
static int solicited_node(const struct akma_pkt_if *ifc, const uint8_t *a)
{
	static const uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	if (!ifc->has_ipv6 || memcmp(a, prefix, 13))
		return 0;
	return !memcmp(a + 13, ifc->ipv6 + 13, 3) || !memcmp(a + 13, ifc->ipv6_ll + 13, 3);
}

/* A neighbour solicitation for one of ours, answered in place by a
 * neighbour advertisement (RFC 4861 4.4, 7.2.4). */
static int neighbour(const struct akma_pkt_if *ifc, uint8_t *f, size_t cap, uint16_t l4_len,
		     struct akma_pkt_info *info)
{
	uint8_t *ip = f + AKMA_PKT_ETH_LEN, *l4 = ip + AKMA_PKT_IPV6_LEN;
	static const uint8_t unspecified[16];
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	const uint8_t *target;

	if (ip[7] != 255 || l4[1] != 0 || l4_len < 24 || !(target = own_ipv6(ifc, l4 + 8)))
		return drop(info, AKMA_PKT_DROP_nd);
	if (cap < AKMA_PKT_ETH_LEN + AKMA_PKT_IPV6_LEN + 32)
		return drop(info, AKMA_PKT_DROP_truncated);
	int dad = !memcmp(ip + 8, unspecified, 16); /* a duplicate address check */
	/* IPv6: from the target, to the solicitor (all nodes for a DAD). */
	memcpy(ip + 24, dad ? all_nodes : ip + 8, 16);
	memcpy(ip + 8, target, 16);
	put16(ip + 4, 32);
	ip[7] = 255;
	/* Ethernet: to the solicitor, or 33:33:00:00:00:01. */
	if (dad) {
		static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
		memcpy(f, all_nodes_mac, 6);
		memcpy(f + 6, ifc->mac, 6);
	} else {
		eth_reply(f, ifc->mac);
	}
	l4[0] = 136; /* neighbour advertisement */
	l4[1] = 0;
	put16(l4 + 2, 0);
	l4[4] = dad ? 0x20 : 0x60; /* solicited (unless DAD), override */
	l4[5] = l4[6] = l4[7] = 0;
	memcpy(l4 + 8, target, 16);
	l4[24] = 2; /* target link-layer address, 8 octets */
	l4[25] = 1;
	memcpy(l4 + 26, ifc->mac, 6);
	put16(l4 + 2, akma_pkt_fold(akma_pkt_sum(l4, 32, ipv6_pseudo(ip, IP_ICMPV6, 32))));
	return answered(info, 2, AKMA_PKT_ETH_LEN + AKMA_PKT_IPV6_LEN + 32);
}

static int ipv6(const struct akma_pkt_if *ifc, uint8_t *f, size_t len, size_t cap, unsigned good,
		struct akma_pkt_info *info)
{
	uint8_t *ip = f + AKMA_PKT_ETH_LEN, *l4 = ip + AKMA_PKT_IPV6_LEN;
	if (len < AKMA_PKT_ETH_LEN + AKMA_PKT_IPV6_LEN)
		return drop(info, AKMA_PKT_DROP_truncated);
	if (ip[0] >> 4 != 6)
		return drop(info, AKMA_PKT_DROP_protocol);
	uint16_t l4_len = get16(ip + 4);
	if (l4_len > len - AKMA_PKT_ETH_LEN - AKMA_PKT_IPV6_LEN)
		return drop(info, AKMA_PKT_DROP_truncated);
	uint8_t next = ip[6];
	if (next == IP6_FRAGMENT)
		return drop(info, AKMA_PKT_DROP_fragment);
	if (next != IP_UDP && next != IP_ICMPV6)
		return drop(info, next == 0 || next == 43 || next == 60 || next == 51 || next == 50
					  ? AKMA_PKT_DROP_ip_options
					  : AKMA_PKT_DROP_protocol);
	int unicast = own_ipv6(ifc, ip + 24) && !memcmp(f, ifc->mac, 6);
	/* Neighbour solicitations come to a solicited-node group (33:33:...). */
	int solicit = solicited_node(ifc, ip + 24) && f[0] == 0x33 && f[1] == 0x33 &&
		      !memcmp(f + 2, ip + 36, 4);
	if (!unicast && !(solicit && next == IP_ICMPV6))
		return drop(info, AKMA_PKT_DROP_not_ours);
	if (next == IP_UDP)
		return udp(ifc, f, l4, l4_len, ipv6_pseudo(ip, IP_UDP, 0), 1, good, info);
	if (l4_len < 8)
		return drop(info, AKMA_PKT_DROP_truncated);
	if (!(good & AKMA_PKT_L4_CSUM_GOOD) &&
	    fold_only(akma_pkt_sum(l4, l4_len, ipv6_pseudo(ip, IP_ICMPV6, l4_len))) != 0xffff)
		return drop(info, AKMA_PKT_DROP_checksum);
	if (l4[0] == 135)
		return neighbour(ifc, f, cap, l4_len, info);
	if (l4[0] == 128 && l4[1] == 0 && unicast) {
		uint8_t tmp[16];
		memcpy(tmp, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, tmp, 16);
		ip[7] = 64;
		l4[0] = 129; /* echo reply */
		put16(l4 + 2, 0);
		put16(l4 + 2,
		      akma_pkt_fold(akma_pkt_sum(l4, l4_len, ipv6_pseudo(ip, IP_ICMPV6, l4_len))));
		eth_reply(f, ifc->mac);
		return answered(info, 3, AKMA_PKT_ETH_LEN + AKMA_PKT_IPV6_LEN + (size_t)l4_len);
	}
	return drop(info, AKMA_PKT_DROP_protocol);
}

int akma_pkt_classify(const struct akma_pkt_if *ifc, uint8_t *frame, size_t len, size_t cap,
		      unsigned csum_good, struct akma_pkt_info *info)
{
	memset(info, 0, sizeof(*info));
	if (len < AKMA_PKT_ETH_LEN || len > 65535 || cap < len)
		return drop(info, AKMA_PKT_DROP_truncated);
	switch (get16(frame + 12)) {
	case ETH_IPV4:
		return ipv4(ifc, frame, len, csum_good, info);
	case ETH_IPV6:
		return ipv6(ifc, frame, len, cap, csum_good, info);
	case ETH_ARP:
		return arp(ifc, frame, len, info);
	default:
		return drop(info, AKMA_PKT_DROP_ethertype);
	}
}

size_t akma_pkt_wire_answer(uint8_t *f, const struct akma_pkt_info *info, uint16_t payload_len,
			    int offload)
{
	uint8_t tmp[16];
	uint16_t ulen = (uint16_t)(AKMA_PKT_UDP_LEN + payload_len);

	memcpy(tmp, f, 6); /* Ethernet: back to the sender */
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	uint8_t *ip = f + AKMA_PKT_ETH_LEN;
	uint8_t *udp = ip + (info->ipv6 ? AKMA_PKT_IPV6_LEN : AKMA_PKT_IPV4_LEN);
	memcpy(tmp, udp, 2);
	memcpy(udp, udp + 2, 2);
	memcpy(udp + 2, tmp, 2);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	uint32_t pseudo;
	if (info->ipv6) {
		memcpy(tmp, ip + 8, 16);
		memcpy(ip + 8, ip + 24, 16);
		memcpy(ip + 24, tmp, 16);
		put16(ip + 4, ulen);
		ip[7] = 64;
		pseudo = ipv6_pseudo(ip, IP_UDP, ulen);
	} else {
		memcpy(tmp, ip + 12, 4);
		memcpy(ip + 12, ip + 16, 4);
		memcpy(ip + 16, tmp, 4);
		put16(ip + 2, (uint16_t)(AKMA_PKT_IPV4_LEN + ulen));
		put16(ip + 6, 0x4000); /* DF: an answer is never fragmented */
		ip[8] = 64;
		put16(ip + 10, 0);
		if (!offload)
			put16(ip + 10, akma_pkt_fold(akma_pkt_sum(ip, AKMA_PKT_IPV4_LEN, 0)));
		pseudo = ipv4_pseudo(ip, IP_UDP, ulen);
	}
	if (offload) {
		put16(udp + 6, fold_only(pseudo)); /* the NIC adds the rest */
	} else {
		uint16_t c = akma_pkt_fold(akma_pkt_sum(udp, ulen, pseudo));
		put16(udp + 6, c ? c : 0xffff); /* 0 would mean "none" */
	}
	return (size_t)(udp + ulen - f);
}

/* ---- fragments ------------------------------------------------------------------------- */

size_t akma_pkt_fragment(const uint8_t *frame, size_t len, const struct akma_pkt_info *info,
			 unsigned mtu, uint32_t ident, size_t *off, uint8_t *out, size_t cap)
{
	const size_t l3 = info->ipv6 ? AKMA_PKT_IPV6_LEN : AKMA_PKT_IPV4_LEN;
	const size_t frag_hdr = info->ipv6 ? 8 : 0;
	const size_t hdrs = AKMA_PKT_ETH_LEN + l3;

	if (len <= hdrs || *off >= len - hdrs || mtu < l3 + frag_hdr + 8 ||
	    cap < AKMA_PKT_ETH_LEN + mtu)
		return 0;
	size_t payload = len - hdrs; /* UDP header and datagram */
	size_t room = (mtu - l3 - frag_hdr) & ~(size_t)7;
	size_t chunk = payload - *off < room ? payload - *off : room;
	int more = *off + chunk < payload;
	memcpy(out, frame, hdrs);
	uint8_t *ip = out + AKMA_PKT_ETH_LEN;
	if (info->ipv6) {
		uint8_t *fh = ip + AKMA_PKT_IPV6_LEN;
		put16(ip + 4, (uint16_t)(8 + chunk));
		ip[6] = IP6_FRAGMENT;
		fh[0] = IP_UDP;
		fh[1] = 0;
		put16(fh + 2,
		      (uint16_t)(*off | (more ? 1u : 0u))); /* offset in 8-octet units << 3 */
		put16(fh + 4, (uint16_t)(ident >> 16));
		put16(fh + 6, (uint16_t)ident);
	} else {
		put16(ip + 2, (uint16_t)(AKMA_PKT_IPV4_LEN + chunk));
		put16(ip + 4, (uint16_t)ident);
		put16(ip + 6, (uint16_t)((more ? 0x2000u : 0) | (*off >> 3)));
		put16(ip + 10, 0);
		put16(ip + 10, akma_pkt_fold(akma_pkt_sum(ip, AKMA_PKT_IPV4_LEN, 0)));
	}
	memcpy(ip + l3 + frag_hdr, frame + hdrs + *off, chunk);
	*off += chunk;
	return hdrs + frag_hdr + chunk;
}
