/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_ETHDEV_H
#define AKMA_ETHDEV_H

/*
 * The wire protocol straight off DPDK ports: a NIC bound to vfio-pci, or a
 * vdev (net_af_packet or net_af_xdp on an interface, net_memif for a
 * co-located front end, net_tap). Each port has its own IPv4 and/or IPv6
 * address and UDP port; akmad answers ARP, neighbour solicitations and
 * echo for them (pkt.h), and hands every UDP datagram to its port's address
 * and port to a wire server (drivers/wire_server) exactly as the socket
 * path does: same checks, same answers, same counters.
 *
 * One akma_ethdev belongs to akmad's main lcore (see ethdev.c for why
 * there), which polls it beside the sockets. Never blocks; no allocation
 * and no system call per packet.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pkt.h"
#include "wire_server.h"
#include "worker.h"

#define AKMA_ETHDEV_MAX_PORTS 8
#define AKMA_ETHDEV_MAX_QUEUES 16

struct akma_ethdev_port_params {
	char name
		[64]; /* the EAL's name for the port (net_af_packet0, 0000:3b:00.0) or its number */
	int has_ipv4, has_ipv6;
	uint8_t ipv4[4], ipv6[16];
	uint16_t udp_port;
};

struct akma_ethdev_params {
	struct akma_ethdev_port_params ports[AKMA_ETHDEV_MAX_PORTS];
	unsigned n_ports;
	unsigned rx_queues; /* per port, all polled by the main lcore (RSS spreads them) */
	unsigned rx_desc, tx_desc;
	unsigned mbufs; /* in the pool of each NUMA socket that has a port */
	unsigned mtu;   /* of every port (0: each port's own); mbufs hold a whole frame */
	/* the wire server's */
	const uint8_t *psk;
	uint64_t replay_window_ms;
	unsigned max_senders;
	void (*read_counters)(void *counters_arg, uint64_t *v);
	void *counters_arg;
};

/* One port's counters (and each queue's received frames). */
struct akma_ethdev_port_stats {
	char name[64];
	uint16_t port_id;
	uint8_t link_up;
	uint32_t link_speed_mbps;
	unsigned rx_queues;
	uint64_t rx_queue_frames[AKMA_ETHDEV_MAX_QUEUES];
	uint64_t rx_frames, tx_frames;
	uint64_t wire_datagrams; /* handed to the wire server */
	uint64_t arp_answered, nd_answered, echo_answered;
	uint64_t dropped[AKMA_PKT_N_DROPS]; /* by cause, pkt.h */
	uint64_t dropped_segmented;         /* a frame in more than one mbuf */
	uint64_t tx_full;                   /* frames the TX ring refused, freed */
	uint64_t no_mbuf;                   /* fragments not sent: the pool was empty */
	uint64_t rx_nombuf;                 /* the PMD's own count (rte_eth_stats) */
	uint64_t fragmented;                /* answers longer than the MTU, sent in fragments */
	uint64_t ip_csum_offload, l4_csum_offload; /* 1: the port checks and fills them */
};

struct akma_ethdev;

/* Configure and start every port of p (after rte_eal_init, on the main
 * lcore): resolve its name, read its MAC and MTU, set up p->rx_queues RX
 * queues and one TX queue, turn on checksum offloads it has, start it and
 * log its link. Returns NULL with a one-line reason in why (which key or
 * port, what failed). */
struct akma_ethdev *akma_ethdev_open(const struct akma_ethdev_params *p, struct akma_engine *e,
				     unsigned producer, char *why, size_t why_size);

/* One pass over every port and queue: rx bursts of 32, answer what the
 * port answers itself, hand wire datagrams to the server, collect the
 * engine's answers, tx bursts. Returns how much it did (0: idle). Main
 * lcore; never blocks. now_ms: the wall clock, Unix milliseconds. */
unsigned akma_ethdev_poll(struct akma_ethdev *eth, uint64_t now_ms);

/* Requests submitted and not yet answered. */
unsigned akma_ethdev_in_flight(const struct akma_ethdev *eth);

/* Log a port's link when it changed since the last call (main lcore; call
 * about once a second: it asks each port without waiting). */
void akma_ethdev_check_links(struct akma_ethdev *eth);

/* The wire server's counters (any thread). */
void akma_ethdev_wire_stats(const struct akma_ethdev *eth, struct akma_wire_server_stats *st);

/* Ports, and one port's counters (any thread; each value read atomically). */
unsigned akma_ethdev_ports(const struct akma_ethdev *eth);
void akma_ethdev_port_stats(const struct akma_ethdev *eth, unsigned i,
			    struct akma_ethdev_port_stats *st);

/* The Prometheus series of every port (akmad_ethdev_*). Any thread. */
void akma_ethdev_write_metrics(const struct akma_ethdev *eth, FILE *f);

void akma_ethdev_set_replay_window(struct akma_ethdev *eth, uint64_t window_ms);

/* Stop and close the ports, free the pools. Requests in flight must have
 * been collected first (poll until akma_ethdev_in_flight() is 0). */
void akma_ethdev_close(struct akma_ethdev *eth);

#endif
