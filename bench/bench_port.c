/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench's DPDK port (bench_port.h): a wire client's datagrams as
 * UDP/IPv4 frames on the first ethdev the EAL gives (net_memif in
 * bench/ethdev.sh, so that neither side's packets touch the kernel).
 * akmad's MAC is learnt with ARP, which akmad answers itself; answers are
 * recognised with akmad's own frame classifier (drivers/ethdev/pkt.h) under
 * this side's addresses.
 */
#include "bench_port.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "clock.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void tx_flush(struct bench_port *p)
{
	unsigned sent = 0;
	for (int tries = 0; tries < 1000 && sent < p->n_tx; tries++)
		sent += rte_eth_tx_burst(p->id, 0, p->tx + sent, (uint16_t)(p->n_tx - sent));
	if (sent < p->n_tx)
		rte_pktmbuf_free_bulk(p->tx + sent, p->n_tx - sent);
	p->n_tx = 0;
}

static void queue(struct bench_port *p, struct rte_mbuf *m)
{
	if (p->n_tx == BENCH_PORT_BURST)
		tx_flush(p);
	p->tx[p->n_tx++] = m;
}

static int send_arp_request(struct bench_port *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
	if (!m)
		return -1;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	memset(f, 0xff, 6);
	memcpy(f + 6, p->me.mac, 6);
	put16(f + 12, 0x0806);
	uint8_t *a = f + 14;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, p->me.mac, 6);
	memcpy(a + 14, p->me.ipv4, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, p->server_ip, 4);
	m->data_len = m->pkt_len = 42;
	queue(p, m);
	tx_flush(p);
	return 0;
}

/* An ARP reply from the server's address: its MAC. */
static int arp_reply(struct bench_port *p, const uint8_t *f, size_t len)
{
	if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2 ||
	    memcmp(f + 28, p->server_ip, 4) != 0)
		return 0;
	memcpy(p->server_mac, f + 22, 6);
	return 1;
}

int bench_port_open(struct bench_port *p, const uint8_t server_ip[4], uint16_t server_port,
		    const uint8_t local_ip[4], char *why, size_t why_size)
{
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	uint16_t id;

	memset(p, 0, sizeof(*p));
	RTE_ETH_FOREACH_DEV(id)
	break;
	if (id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(id)) {
		snprintf(why, why_size, "no DPDK port: give one with --vdev");
		return -1;
	}
	p->id = id;
	memset(&conf, 0, sizeof(conf));
	p->pool = rte_pktmbuf_pool_create("bench_port", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (!p->pool || rte_eth_dev_configure(id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(id, 0, 1024, rte_socket_id(), NULL, p->pool) != 0 ||
	    rte_eth_tx_queue_setup(id, 0, 1024, rte_socket_id(), NULL) != 0 ||
	    rte_eth_dev_start(id) != 0) {
		snprintf(why, why_size, "cannot set up DPDK port %u", id);
		return -1;
	}
	rte_eth_macaddr_get(id, &mac);
	memcpy(p->me.mac, mac.addr_bytes, 6);
	p->me.has_ipv4 = 1;
	memcpy(p->me.ipv4, local_ip, 4);
	p->me.udp_port = 40000 + (uint16_t)(rte_rdtsc() % 20000);
	memcpy(p->server_ip, server_ip, 4);
	p->server_port = server_port;

	/* the link (memif: once the server side accepts), then akmad's MAC */
	uint64_t deadline = akma_mono_ms() + 15000, next_arp = 0;
	for (;;) {
		if (akma_mono_ms() > deadline) {
			snprintf(why, why_size,
				 "DPDK port %u: no ARP answer from %u.%u.%u.%u within 15 s (is "
				 "akmad "
				 "on the other end, with that ethdev.ipv4?)",
				 id, server_ip[0], server_ip[1], server_ip[2], server_ip[3]);
			return -1;
		}
		struct rte_eth_link l;
		if (rte_eth_link_get_nowait(id, &l) == 0 && l.link_status &&
		    akma_mono_ms() >= next_arp) {
			send_arp_request(p);
			next_arp = akma_mono_ms() + 200;
		}
		struct rte_mbuf *pk[BENCH_PORT_BURST];
		uint16_t n = rte_eth_rx_burst(id, 0, pk, BENCH_PORT_BURST);
		int got = 0;
		for (uint16_t i = 0; i < n; i++) {
			got |= arp_reply(p, rte_pktmbuf_mtod(pk[i], uint8_t *), pk[i]->data_len);
			rte_pktmbuf_free(pk[i]);
		}
		if (got)
			return 0;
		if (!n)
			rte_delay_us_sleep(1000);
	}
}

int bench_port_send(struct bench_port *p, const uint8_t *d, size_t len)
{
	const size_t hdrs = AKMA_PKT_ETH_LEN + AKMA_PKT_IPV4_LEN + AKMA_PKT_UDP_LEN;
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);

	if (!m || hdrs + len > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return -1;
	}
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(f, p->server_mac, 6);
	memcpy(f + 6, p->me.mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + AKMA_PKT_ETH_LEN, *udp = ip + AKMA_PKT_IPV4_LEN;
	uint16_t ulen = (uint16_t)(AKMA_PKT_UDP_LEN + len);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(AKMA_PKT_IPV4_LEN + ulen));
	put16(ip + 4, (uint16_t)p->ident++);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	memcpy(ip + 12, p->me.ipv4, 4);
	memcpy(ip + 16, p->server_ip, 4);
	put16(ip + 10, akma_pkt_fold(akma_pkt_sum(ip, AKMA_PKT_IPV4_LEN, 0)));
	put16(udp, p->me.udp_port);
	put16(udp + 2, p->server_port);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	memcpy(udp + AKMA_PKT_UDP_LEN, d, len);
	/* the checksum a kernel peer would send, so akmad checks one */
	uint32_t pseudo = akma_pkt_sum(ip + 12, 8, 17u + ulen);
	uint16_t c = akma_pkt_fold(akma_pkt_sum(udp, ulen, pseudo));
	put16(udp + 6, c ? c : 0xffff);
	m->data_len = (uint16_t)(hdrs + len);
	m->pkt_len = m->data_len;
	queue(p, m);
	return (int)len;
}

void bench_port_flush(struct bench_port *p)
{
	tx_flush(p);
}

/* Next answer frame into d; -1 when none is waiting. */
long bench_port_recv(struct bench_port *p, uint8_t *d, size_t cap)
{
	tx_flush(p);
	for (;;) {
		if (p->rx_at == p->n_rx) {
			p->n_rx = rte_eth_rx_burst(p->id, 0, p->rx, BENCH_PORT_BURST);
			p->rx_at = 0;
			if (!p->n_rx)
				return -1;
		}
		struct rte_mbuf *m = p->rx[p->rx_at++];
		struct akma_pkt_info info;
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		int kind = akma_pkt_classify(&p->me, f, m->data_len, m->data_len, 0, &info);
		if (kind == AKMA_PKT_WIRE && info.payload_len <= cap) {
			memcpy(d, f + info.payload_off, info.payload_len);
			rte_pktmbuf_free(m);
			return info.payload_len;
		}
		p->dropped++;
		rte_pktmbuf_free(m);
	}
}

int bench_port_wait(struct bench_port *p, int timeout_ms)
{
	uint64_t end = akma_mono_ns() + (uint64_t)timeout_ms * 1000000;
	tx_flush(p);
	do {
		if (p->rx_at < p->n_rx)
			return 1;
		p->n_rx = rte_eth_rx_burst(p->id, 0, p->rx, BENCH_PORT_BURST);
		p->rx_at = 0;
		if (p->n_rx)
			return 1;
		/* Nap between empty polls: on a 2-core machine a spinning peer
		 * takes the CPU of akmad's I/O lcore or worker, and the cost
		 * per request measured there would be our preemption. */
		rte_delay_us_sleep(10);
	} while (akma_mono_ns() < end);
	return 0;
}

void bench_port_close(struct bench_port *p)
{
	tx_flush(p);
	while (p->rx_at < p->n_rx)
		rte_pktmbuf_free(p->rx[p->rx_at++]);
	rte_eth_dev_stop(p->id);
	rte_eth_dev_close(p->id);
	rte_mempool_free(p->pool);
}
