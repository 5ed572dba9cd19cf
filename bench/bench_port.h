/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_BENCH_PORT_H
#define AKMA_BENCH_PORT_H

/* akma-bench wire's DPDK port: wire datagrams as UDP/IPv4 frames on the
 * first ethdev of the EAL (bench_port.c). One thread; never blocks but in
 * bench_port_wait (which polls: a DPDK peer spins). */

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define BENCH_PORT_BURST 32

struct rte_mbuf;
struct rte_mempool;

struct bench_port {
	uint16_t id, server_port;
	struct rte_mempool *pool;
	struct akma_pkt_if me; /* this side's MAC, IPv4 and UDP port */
	uint8_t server_ip[4], server_mac[6];
	uint32_t ident;
	struct rte_mbuf *rx[BENCH_PORT_BURST], *tx[BENCH_PORT_BURST];
	unsigned n_rx, rx_at, n_tx;
	uint64_t dropped; /* frames that were not an answer to us */
};

/* Start the port and learn the server's MAC by ARP (15 s at most). Returns
 * 0, or -1 with the reason in why. After EAL init. */
int bench_port_open(struct bench_port *p, const uint8_t server_ip[4], uint16_t server_port,
		    const uint8_t local_ip[4], char *why, size_t why_size);

/* Queue one datagram (sent at the next flush, recv or wait, or when 32
 * wait). Returns len, or -1 (no mbuf). */
int bench_port_send(struct bench_port *p, const uint8_t *d, size_t len);
void bench_port_flush(struct bench_port *p);

/* The payload of the next answer for us into d; -1 when none waits. */
long bench_port_recv(struct bench_port *p, uint8_t *d, size_t cap);

/* Poll up to timeout_ms for a frame. Returns 1 when one waits, 0 if not. */
int bench_port_wait(struct bench_port *p, int timeout_ms);

void bench_port_close(struct bench_port *p);

#endif
