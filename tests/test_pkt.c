/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DPDK port's frames (drivers/ethdev/pkt.h) without EAL: frames made
 * here field by field, checksums verified by a sum of the test's own (not
 * the module's), every drop cause provoked, every answer read back.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pkt.h"

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x11, 0x22, 0x33};
static const uint8_t our4[4] = {10, 0, 0, 1}, peer4[4] = {10, 0, 0, 2};
static const uint8_t our6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t peer6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
#define PORT 7777

static struct akma_pkt_if ifc;
static uint8_t f[2048];

/* The test's own Internet checksum: 16-bit words, carries folded. */
static unsigned sum16(const uint8_t *p, size_t n, unsigned s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (unsigned)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (unsigned)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void w16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned r16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned pseudo4(const uint8_t *ip, unsigned proto, unsigned len)
{
	return sum16(ip + 12, 8, proto + len);
}

static unsigned pseudo6(const uint8_t *ip, unsigned next, unsigned len)
{
	return sum16(ip + 8, 32, next + len);
}

static size_t eth(const uint8_t *dst, unsigned type)
{
	memset(f, 0, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	w16(f + 12, type);
	return 14;
}

/* IPv4 + UDP to (dst, port) with n octets of payload. */
static size_t udp4(const uint8_t *dst_ip, unsigned port, size_t n)
{
	eth(our_mac, 0x0800);
	uint8_t *ip = f + 14, *u = ip + 20;
	ip[0] = 0x45;
	w16(ip + 2, 20 + 8 + (unsigned)n);
	w16(ip + 4, 0x1234);
	w16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, peer4, 4);
	memcpy(ip + 16, dst_ip, 4);
	w16(ip + 10, 0xffff & ~sum16(ip, 20, 0));
	w16(u, 40000);
	w16(u + 2, port);
	w16(u + 4, 8 + (unsigned)n);
	for (size_t i = 0; i < n; i++)
		u[8 + i] = (uint8_t)(i * 7 + 1);
	unsigned c = 0xffff & ~sum16(u, 8 + n, pseudo4(ip, 17, 8 + (unsigned)n));
	w16(u + 6, c ? c : 0xffff);
	return 14 + 20 + 8 + n;
}

static size_t ip6(const uint8_t *dst_mac, const uint8_t *src_ip, const uint8_t *dst_ip,
		  unsigned next, unsigned hop, size_t l4)
{
	eth(dst_mac, 0x86dd);
	uint8_t *ip = f + 14;
	ip[0] = 0x60;
	w16(ip + 4, (unsigned)l4);
	ip[6] = (uint8_t)next;
	ip[7] = (uint8_t)hop;
	memcpy(ip + 8, src_ip, 16);
	memcpy(ip + 24, dst_ip, 16);
	return 14 + 40 + l4;
}

static size_t udp6(const uint8_t *dst_ip, unsigned port, size_t n)
{
	size_t len = ip6(our_mac, peer6, dst_ip, 17, 64, 8 + n);
	uint8_t *ip = f + 14, *u = ip + 40;
	w16(u, 40000);
	w16(u + 2, port);
	w16(u + 4, 8 + (unsigned)n);
	for (size_t i = 0; i < n; i++)
		u[8 + i] = (uint8_t)(i * 3 + 5);
	unsigned c = 0xffff & ~sum16(u, 8 + n, pseudo6(ip, 17, 8 + (unsigned)n));
	w16(u + 6, c ? c : 0xffff);
	return len;
}

/* An ICMPv6 message of n octets (type, code, then body) with its checksum. */
static void icmp6_sum(size_t n)
{
	uint8_t *ip = f + 14, *m = ip + 40;
	w16(m + 2, 0);
	w16(m + 2, 0xffff & ~sum16(m, n, pseudo6(ip, 58, (unsigned)n)));
}

static int classify(size_t len, unsigned good, struct akma_pkt_info *info)
{
	return akma_pkt_classify(&ifc, f, len, sizeof(f), good, info);
}

static int dropped(size_t len, enum akma_pkt_drop why)
{
	struct akma_pkt_info info;
	int k = classify(len, 0, &info);
	if (k != AKMA_PKT_DROP || info.drop != why)
		fprintf(stderr, "    kind %d, drop %s\n", k,
			k == AKMA_PKT_DROP ? akma_pkt_drop_names[info.drop] : "-");
	return k == AKMA_PKT_DROP && info.drop == why;
}

static void arp_tests(void)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	size_t len = eth(bcast, 0x0806);
	uint8_t *a = f + 14;
	w16(a, 1);
	w16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	w16(a + 6, 1);
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer4, 4);
	memcpy(a + 24, our4, 4);
	len += 28;
	struct akma_pkt_info info;
	CHECK(classify(60, 0, &info) == AKMA_PKT_ANSWERED && info.answered_what == 1 &&
		      info.answer_len == 42,
	      "ARP who-has our address: answered");
	CHECK(!memcmp(f, peer_mac, 6) && !memcmp(f + 6, our_mac, 6) && r16(a + 6) == 2 &&
		      !memcmp(a + 8, our_mac, 6) && !memcmp(a + 14, our4, 4) &&
		      !memcmp(a + 18, peer_mac, 6) && !memcmp(a + 24, peer4, 4),
	      "ARP reply: to the asker, our MAC for our IPv4");
	/* For another address, and a reply instead of a request. */
	eth(bcast, 0x0806);
	w16(a, 1), w16(a + 2, 0x0800), a[4] = 6, a[5] = 4, w16(a + 6, 1);
	memcpy(a + 24, peer4, 4);
	CHECK(dropped(len, AKMA_PKT_DROP_arp), "ARP for another address: dropped");
	memcpy(a + 24, our4, 4);
	w16(a + 6, 2);
	CHECK(dropped(len, AKMA_PKT_DROP_arp), "an ARP reply: dropped");
	CHECK(dropped(30, AKMA_PKT_DROP_truncated), "a truncated ARP: dropped");
}

static void ipv4_tests(void)
{
	struct akma_pkt_info info;
	size_t len = udp4(our4, PORT, 100);
	CHECK(classify(len, 0, &info) == AKMA_PKT_WIRE && !info.ipv6 && info.payload_off == 42 &&
		      info.payload_len == 100 && f[42] == 1 && f[43] == 8,
	      "UDP/IPv4 to our port: a wire datagram, its payload found");
	/* The answer, 57 octets in the request's place. */
	memset(f + 42, 0xab, 57);
	size_t out = akma_pkt_wire_answer(f, &info, 57, 0);
	uint8_t *ip = f + 14, *u = ip + 20;
	CHECK(out == 14 + 20 + 8 + 57 && !memcmp(f, peer_mac, 6) && !memcmp(f + 6, our_mac, 6),
	      "answer: back to the sender's MAC (%zu)", out);
	CHECK(!memcmp(ip + 12, our4, 4) && !memcmp(ip + 16, peer4, 4) && r16(u) == PORT &&
		      r16(u + 2) == 40000 && r16(ip + 2) == 20 + 8 + 57 && r16(u + 4) == 8 + 57 &&
		      ip[8] == 64,
	      "answer: addresses and ports swapped, lengths for its payload");
	CHECK(sum16(ip, 20, 0) == 0xffff && sum16(u, 8 + 57, pseudo4(ip, 17, 65)) == 0xffff,
	      "answer: IPv4 and UDP checksums verify");
	/* With offload the UDP field holds the pseudo-header sum, the IP one 0. */
	len = udp4(our4, PORT, 10);
	classify(len, 0, &info);
	akma_pkt_wire_answer(f, &info, 10, 1);
	CHECK(r16(ip + 10) == 0 && r16(u + 6) == sum16(ip + 12, 8, 17 + 18),
	      "answer with offload: IP checksum 0, UDP holds the pseudo-header sum");

	len = udp4(our4, PORT + 1, 10);
	CHECK(dropped(len, AKMA_PKT_DROP_udp_port), "UDP to another port");
	len = udp4(peer4, PORT, 10);
	CHECK(dropped(len, AKMA_PKT_DROP_not_ours), "to another IPv4 address");
	len = udp4(our4, PORT, 10);
	f[0] ^= 1;
	CHECK(dropped(len, AKMA_PKT_DROP_not_ours), "to another MAC");
	len = udp4(our4, PORT, 10);
	f[14 + 28] ^= 0x40; /* a payload bit: the UDP checksum breaks */
	CHECK(dropped(len, AKMA_PKT_DROP_checksum), "a UDP checksum that does not verify");
	CHECK(classify(len, AKMA_PKT_L4_CSUM_GOOD, &info) == AKMA_PKT_WIRE,
	      "... unless the NIC verified it");
	len = udp4(our4, PORT, 10);
	w16(f + 14 + 26, 0);
	CHECK(classify(len, 0, &info) == AKMA_PKT_WIRE,
	      "a zero UDP checksum over IPv4: none, taken");
	len = udp4(our4, PORT, 10);
	f[14 + 8] = 3; /* TTL: the header checksum breaks */
	CHECK(dropped(len, AKMA_PKT_DROP_checksum), "an IPv4 header checksum that does not verify");
	CHECK(classify(len, AKMA_PKT_IP_CSUM_GOOD, &info) == AKMA_PKT_WIRE,
	      "... unless the NIC verified it");
	len = udp4(our4, PORT, 10);
	w16(f + 14 + 6, 0x2000); /* MF */
	CHECK(dropped(len, AKMA_PKT_DROP_fragment), "a first fragment");
	len = udp4(our4, PORT, 10);
	w16(f + 14 + 6, 0x0010); /* an offset */
	CHECK(dropped(len, AKMA_PKT_DROP_fragment), "a later fragment");
	len = udp4(our4, PORT, 10);
	f[14] = 0x46;
	CHECK(dropped(len, AKMA_PKT_DROP_ip_options), "IPv4 options");
	len = udp4(our4, PORT, 10);
	CHECK(dropped(len - 1, AKMA_PKT_DROP_truncated), "total length past the frame");
	CHECK(dropped(30, AKMA_PKT_DROP_truncated), "a truncated IPv4 header");
	len = udp4(our4, PORT, 10);
	w16(f + 14 + 24, 4);
	CHECK(dropped(len, AKMA_PKT_DROP_truncated), "a UDP length below its header");
	len = udp4(our4, PORT, 10);
	f[14 + 9] = 6; /* TCP */
	f[14 + 10] = f[14 + 11] = 0;
	w16(f + 14 + 10, 0xffff & ~sum16(f + 14, 20, 0));
	CHECK(dropped(len, AKMA_PKT_DROP_protocol), "TCP");

	/* ICMP echo: answered, checksums right, the data back. */
	len = udp4(our4, PORT, 0);
	ip[9] = 1;
	w16(ip + 2, 20 + 16);
	w16(ip + 10, 0);
	w16(ip + 10, 0xffff & ~sum16(ip, 20, 0));
	memset(u, 0, 16);
	u[0] = 8;
	w16(u + 4, 0x4242);
	memcpy(u + 8, "pingping", 8);
	w16(u + 2, 0xffff & ~sum16(u, 16, 0));
	CHECK(classify(14 + 36, 0, &info) == AKMA_PKT_ANSWERED && info.answered_what == 3 &&
		      info.answer_len == 50 && u[0] == 0 && !memcmp(u + 8, "pingping", 8) &&
		      r16(u + 4) == 0x4242,
	      "ICMP echo request: an echo reply with its data");
	CHECK(sum16(u, 16, 0) == 0xffff && sum16(ip, 20, 0) == 0xffff && !memcmp(ip + 16, peer4, 4),
	      "... to the sender, checksums verifying");
}

static void ipv6_tests(void)
{
	struct akma_pkt_info info;
	uint8_t *ip = f + 14, *u = ip + 40;
	size_t len = udp6(our6, PORT, 77);
	CHECK(classify(len, 0, &info) == AKMA_PKT_WIRE && info.ipv6 && info.payload_off == 62 &&
		      info.payload_len == 77,
	      "UDP/IPv6 to our address: a wire datagram");
	size_t out = akma_pkt_wire_answer(f, &info, 33, 0);
	CHECK(out == 14 + 40 + 8 + 33 && !memcmp(ip + 8, our6, 16) && !memcmp(ip + 24, peer6, 16) &&
		      r16(ip + 4) == 41 && ip[7] == 64 && r16(u) == PORT,
	      "IPv6 answer: swapped, lengths set");
	CHECK(sum16(u, 41, pseudo6(ip, 17, 41)) == 0xffff,
	      "IPv6 answer: the UDP checksum verifies");
	len = udp6(ifc.ipv6_ll, PORT, 5);
	CHECK(classify(len, 0, &info) == AKMA_PKT_WIRE, "UDP to our link-local address: taken");
	len = udp6(our6, PORT, 5);
	w16(u + 6, 0);
	CHECK(dropped(len, AKMA_PKT_DROP_checksum), "a zero UDP checksum over IPv6: discarded");
	len = udp6(peer6, PORT, 5);
	CHECK(dropped(len, AKMA_PKT_DROP_not_ours), "to another IPv6 address");
	len = udp6(our6, PORT, 5);
	ip[6] = 44;
	CHECK(dropped(len, AKMA_PKT_DROP_fragment), "an IPv6 fragment header");
	len = udp6(our6, PORT, 5);
	ip[6] = 0;
	CHECK(dropped(len, AKMA_PKT_DROP_ip_options), "a hop-by-hop header");
	len = udp6(our6, PORT, 5);
	w16(ip + 4, 200);
	CHECK(dropped(len, AKMA_PKT_DROP_truncated), "a payload length past the frame");

	/* Neighbour solicitation from 33:33:ff:00:00:01 for our address. */
	uint8_t mc_mac[6] = {0x33, 0x33, 0xff, 0, 0, 1};
	uint8_t mc_ip[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1};
	len = ip6(mc_mac, peer6, mc_ip, 58, 255, 32);
	u[0] = 135;
	memcpy(u + 8, our6, 16);
	u[24] = 1; /* source link-layer address */
	u[25] = 1;
	memcpy(u + 26, peer_mac, 6);
	icmp6_sum(32);
	CHECK(classify(len, 0, &info) == AKMA_PKT_ANSWERED && info.answered_what == 2 &&
		      info.answer_len == 86,
	      "a neighbour solicitation for our address: answered");
	CHECK(u[0] == 136 && u[4] == 0x60 && !memcmp(u + 8, our6, 16) && u[24] == 2 &&
		      !memcmp(u + 26, our_mac, 6) && !memcmp(ip + 8, our6, 16) &&
		      !memcmp(ip + 24, peer6, 16) && ip[7] == 255 && !memcmp(f, peer_mac, 6),
	      "... an advertisement, solicited and override, our MAC, to the solicitor");
	CHECK(sum16(u, 32, pseudo6(ip, 58, 32)) == 0xffff, "... its ICMPv6 checksum verifies");
	/* A duplicate address check (from ::, no option, 24 octets): to all nodes. */
	static const uint8_t unspec[16];
	len = ip6(mc_mac, unspec, mc_ip, 58, 255, 24);
	u[0] = 135;
	memcpy(u + 8, our6, 16);
	icmp6_sum(24);
	CHECK(classify(len, 0, &info) == AKMA_PKT_ANSWERED && info.answer_len == 86 &&
		      u[4] == 0x20 && ip[24] == 0xff && ip[39] == 1 && f[0] == 0x33 && f[5] == 1,
	      "a duplicate address check on our address: defended, to all nodes, longer than it");
	len = ip6(mc_mac, peer6, mc_ip, 58, 64, 24);
	u[0] = 135;
	memcpy(u + 8, our6, 16);
	icmp6_sum(24);
	CHECK(dropped(len, AKMA_PKT_DROP_nd), "a solicitation with hop limit 64 (off-link)");
	len = ip6(mc_mac, peer6, mc_ip, 58, 255, 24);
	u[0] = 135;
	memcpy(u + 8, peer6, 16);
	icmp6_sum(24);
	CHECK(dropped(len, AKMA_PKT_DROP_nd), "a solicitation for another address");
	len = ip6(mc_mac, peer6, mc_ip, 58, 255, 24);
	u[0] = 135;
	memcpy(u + 8, our6, 16);
	icmp6_sum(24);
	u[10] ^= 1;
	CHECK(dropped(len, AKMA_PKT_DROP_checksum), "a solicitation whose checksum breaks");

	/* Echo. */
	len = ip6(our_mac, peer6, our6, 58, 64, 16);
	u[0] = 128;
	memcpy(u + 8, "ping6ng6", 8);
	icmp6_sum(16);
	CHECK(classify(len, 0, &info) == AKMA_PKT_ANSWERED && u[0] == 129 &&
		      !memcmp(ip + 24, peer6, 16) && sum16(u, 16, pseudo6(ip, 58, 16)) == 0xffff &&
		      !memcmp(u + 8, "ping6ng6", 8),
	      "ICMPv6 echo: a reply with its data, the checksum verifying");
	len = ip6(our_mac, peer6, our6, 58, 64, 16);
	u[0] = 134; /* a router advertisement */
	icmp6_sum(16);
	CHECK(dropped(len, AKMA_PKT_DROP_protocol), "a router advertisement: dropped");
}

static void other_tests(void)
{
	size_t len = eth(our_mac, 0x8100);
	CHECK(dropped(len + 20, AKMA_PKT_DROP_ethertype), "a VLAN tag");
	eth(our_mac, 0x88cc);
	CHECK(dropped(60, AKMA_PKT_DROP_ethertype), "LLDP");
	CHECK(dropped(13, AKMA_PKT_DROP_truncated), "a runt");
	/* Every octet string of a short frame: no crash, never a wire datagram
	 * out of nothing. */
	unsigned wires = 0;
	for (unsigned seed = 1; seed < 20000; seed++) {
		uint32_t x = seed * 2654435761u;
		size_t n = 14 + x % 80;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			f[i] = (uint8_t)x;
		}
		w16(f + 12, seed % 3 == 0 ? 0x0800 : seed % 3 == 1 ? 0x86dd : 0x0806);
		struct akma_pkt_info info;
		wires += classify(n, 0, &info) == AKMA_PKT_WIRE;
	}
	CHECK(wires == 0, "20 000 random frames: none taken as a datagram (%u)", wires);
}

/* An answer longer than the MTU, cut into fragments and put together again
 * as a receiver would: every fragment within the MTU, offsets contiguous,
 * MF (or M) on all but the last, the same identification, and the whole
 * datagram back with a UDP checksum that verifies. */
static void fragment_case(int v6, unsigned mtu, uint16_t payload_len)
{
	static uint8_t whole[4096], out[4096], back[4096];
	struct akma_pkt_info info;
	size_t len = v6 ? udp6(our6, PORT, 100) : udp4(our4, PORT, 100);
	if (classify(len, 0, &info) != AKMA_PKT_WIRE) {
		CHECK(0, "a datagram to fragment the answer of");
		return;
	}
	memcpy(whole, f, info.payload_off);
	for (unsigned i = 0; i < payload_len; i++)
		whole[info.payload_off + i] = (uint8_t)(i * 13 + 7);
	size_t total = akma_pkt_wire_answer(whole, &info, payload_len, 0);
	const size_t l3 = v6 ? 40 : 20, hdrs = 14 + l3, fh = v6 ? 8 : 0;
	size_t off = 0, n, expect = 0, got = 0;
	unsigned frags = 0, bad = 0, last_more = 1;
	while ((n = akma_pkt_fragment(whole, total, &info, mtu, 0xabcd1234u, &off, out,
				      sizeof(out))) != 0) {
		const uint8_t *ip = out + 14;
		frags++;
		bad |= n - 14 > mtu;
		bad |= memcmp(out, whole, 12) != 0; /* the same MACs */
		size_t chunk, at;
		int more;
		if (v6) {
			const uint8_t *x = ip + 40;
			bad |= ip[6] != 44 || x[0] != 17 || r16(x + 4) != 0xabcd ||
			       r16(x + 6) != 0x1234;
			chunk = r16(ip + 4) - 8;
			at = r16(x + 2) & ~7u;
			more = r16(x + 2) & 1;
		} else {
			bad |= sum16(ip, 20, 0) != 0xffff || r16(ip + 4) != 0x1234;
			chunk = r16(ip + 2) - 20;
			at = (size_t)(r16(ip + 6) & 0x1fff) * 8;
			more = (r16(ip + 6) & 0x2000) != 0;
		}
		bad |= at != expect || (more && chunk % 8) || n != hdrs + fh + chunk || !last_more;
		memcpy(back + at, out + hdrs + fh, chunk);
		expect = at + chunk;
		got += chunk;
		last_more = (unsigned)more;
	}
	CHECK(!bad && !last_more &&
		      frags == (total - hdrs + ((mtu - l3 - fh) & ~7u) - 1) /
				       ((mtu - l3 - fh) & ~7u),
	      "fragments of %zu octets at MTU %u (%s): %u, each within it, contiguous", total, mtu,
	      v6 ? "IPv6" : "IPv4", frags);
	uint32_t pseudo = v6 ? pseudo6(whole + 14, 17, 8 + payload_len)
			     : pseudo4(whole + 14, 17, 8 + payload_len);
	CHECK(got == total - hdrs && !memcmp(back, whole + hdrs, got) &&
		      sum16(back, got, pseudo) == 0xffff,
	      "reassembled: the whole %s datagram, its UDP checksum verifying",
	      v6 ? "IPv6" : "IPv4");
}

static void fragment_tests(void)
{
	size_t off = 0;
	uint8_t small[64];
	struct akma_pkt_info info;
	fragment_case(0, 1500, 3000);
	fragment_case(0, 576, 1999);
	fragment_case(1, 1280, 3333);
	fragment_case(1, 1500, 1473);
	size_t len = udp4(our4, PORT, 10);
	classify(len, 0, &info);
	CHECK(akma_pkt_fragment(f, len, &info, 1500, 1, &off, small, sizeof(small)) == 0,
	      "no fragment into a buffer shorter than the MTU");
}

int main(void)
{
	memcpy(ifc.mac, our_mac, 6);
	ifc.has_ipv4 = ifc.has_ipv6 = 1;
	memcpy(ifc.ipv4, our4, 4);
	memcpy(ifc.ipv6, our6, 16);
	ifc.udp_port = PORT;
	akma_pkt_if_link_local(&ifc);
	CHECK(ifc.ipv6_ll[0] == 0xfe && ifc.ipv6_ll[1] == 0x80 && ifc.ipv6_ll[8] == 0x00 &&
		      ifc.ipv6_ll[11] == 0xff && ifc.ipv6_ll[12] == 0xfe && ifc.ipv6_ll[15] == 0xcc,
	      "link-local address from the MAC (modified EUI-64)");
	arp_tests();
	ipv4_tests();
	ipv6_tests();
	other_tests();
	fragment_tests();
	return check_done("test_pkt");
}
