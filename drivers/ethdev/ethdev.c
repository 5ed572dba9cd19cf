/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK ports as a transport of the wire server (see ethdev.h).
 *
 * Where packet I/O runs: on akmad's main lcore, beside the sockets, feeding
 * the workers' rings as drivers/sock does, not run to completion on the
 * workers. Measured with bench/ethdev.sh (net_memif, akma-bench the DPDK
 * peer, 1 M contexts, 16 GET_KAF a datagram, 32 datagrams in flight, the
 * TSC on the main lcore; 2-core Zen 5 VM, three runs): the main lcore
 * spends 198-268 ns a request, of which rx/tx bursts 19-26, parsing 13-18,
 * AES-GCM 19-27, decoding 53-74, and the ring hand-off with completions
 * and answer encoding 90-112; a worker spends 104-161 ns a request on
 * lookup and K_AF (akma-bench engine, same machine, other runs). Pipelined,
 * one worker and the main lcore serve max(~240, ~140) ns a request; run to
 * completion, one worker would spend ~140 + ~140 (all but the hand-off) =
 * ~280. So on this product's smallest shape (one worker behind the main
 * lcore) the pipeline wins by about 1.2x, and it keeps what run to
 * completion would have to rebuild: writes reach the worker that owns
 * their SUPI, and each sender's replay window lives in one place
 * (net_af_packet's fanout does not promise a sender one queue). With two or more workers and an
 * I/O-bound load, run to completion would scale where this is bounded by
 * the main lcore (~4 M requests/s here); that is not built, and
 * ethdev.rx_queues only spreads one port over queues the main lcore polls.
 *
 * Answers are built in the request's mbuf: the sealed datagram is copied in
 * over the request's payload and the headers are rewritten in place
 * (pkt.h), checksums left to the port when it offloads them. An answer
 * longer than the port's MTU (64 answers with long UE identities) goes as
 * IP fragments in fresh mbufs of the same pool: the kernel UDP peers of a
 * veth reassemble them as they do for the socket path.
 */
#include "ethdev.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define BURST 32
#define TX_QUEUE 64
#define FRAME_MAX (AKMA_PKT_ETH_LEN + AKMA_PKT_IPV6_LEN + AKMA_PKT_UDP_LEN + AKMA_WIRE_MAX_DGRAM)

static int eth_log = -1;
#define ETH_LOG(level, ...) rte_log(RTE_LOG_##level, (uint32_t)eth_log, "akma.ethdev: " __VA_ARGS__)

struct port {
	struct akma_ethdev_port_stats st;
	struct akma_pkt_if ifc;
	uint16_t id, mtu;
	uint64_t tx_offload; /* ol_flags for an IPv4 answer's checksums; 0: computed here */
	uint64_t tx_offload6;
	struct rte_mempool *pool;
	struct rte_mbuf *tx[TX_QUEUE];
	unsigned n_tx;
	uint32_t frag_ident;
	int started;
};

/* What the wire server keeps beside a datagram: the frame it came in. */
struct eth_peer {
	struct rte_mbuf *m;
	struct akma_pkt_info info;
	uint16_t port; /* index in ports[] */
};

_Static_assert(sizeof(struct eth_peer) <= AKMA_WIRE_SERVER_MAX_PEER, "a peer fits");

struct akma_ethdev {
	struct akma_wire_server *ws;
	struct port ports[AKMA_ETHDEV_MAX_PORTS];
	unsigned n_ports, rx_queues;
	unsigned data_room; /* of every mbuf: a frame of the largest MTU in one mbuf */
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	uint8_t scratch[FRAME_MAX]; /* an answer being fragmented */
};

/* ---- transmit --------------------------------------------------------------------------- */

static void add_io(struct akma_ethdev *eth, uint64_t since)
{
	const struct akma_wire_cycles c = {.io = rte_rdtsc() - since};
	akma_wire_server_add_cycles(eth->ws, &c);
}

static void add_parse(struct akma_ethdev *eth, uint64_t since)
{
	const struct akma_wire_cycles c = {.parse = rte_rdtsc() - since};
	akma_wire_server_add_cycles(eth->ws, &c);
}

static void tx_flush(struct akma_ethdev *eth, struct port *p)
{
	if (!p->n_tx)
		return;
	uint64_t t0 = rte_rdtsc();
	unsigned sent = 0;
	for (int tries = 0; tries < 4 && sent < p->n_tx; tries++)
		sent += rte_eth_tx_burst(p->id, 0, p->tx + sent, (uint16_t)(p->n_tx - sent));
	p->st.tx_frames += sent;
	if (sent < p->n_tx) {
		p->st.tx_full += p->n_tx - sent;
		rte_pktmbuf_free_bulk(p->tx + sent, p->n_tx - sent);
	}
	p->n_tx = 0;
	add_io(eth, t0);
}

static void tx_queue(struct akma_ethdev *eth, struct port *p, struct rte_mbuf *m)
{
	if (p->n_tx == TX_QUEUE)
		tx_flush(eth, p);
	p->tx[p->n_tx++] = m;
}

static void set_len(struct rte_mbuf *m, size_t len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
}

/* Longer than the MTU: the whole answer in scratch, then fragments. */
static void send_fragments(struct akma_ethdev *eth, struct port *p, struct eth_peer *peer,
			   const uint8_t *dgram, size_t len)
{
	const struct akma_pkt_info *info = &peer->info;
	uint8_t *frame = rte_pktmbuf_mtod(peer->m, uint8_t *);

	memcpy(eth->scratch, frame, info->payload_off);
	memcpy(eth->scratch + info->payload_off, dgram, len);
	size_t frame_len = akma_pkt_wire_answer(eth->scratch, info, (uint16_t)len, 0);
	rte_pktmbuf_free(peer->m);
	p->st.fragmented++;
	uint32_t ident = ++p->frag_ident;
	size_t off = 0;
	for (;;) {
		struct rte_mbuf *f = rte_pktmbuf_alloc(p->pool);
		if (!f) {
			p->st.no_mbuf++;
			return;
		}
		size_t n =
			akma_pkt_fragment(eth->scratch, frame_len, info, p->mtu, ident, &off,
					  rte_pktmbuf_mtod(f, uint8_t *), rte_pktmbuf_tailroom(f));
		if (!n) {
			rte_pktmbuf_free(f);
			return;
		}
		set_len(f, n);
		tx_queue(eth, p, f);
	}
}

static void eth_send(void *arg, void *peer_blob, const uint8_t *dgram, size_t len)
{
	struct akma_ethdev *eth = arg;
	struct eth_peer *peer = peer_blob;
	struct port *p = &eth->ports[peer->port];
	struct rte_mbuf *m = peer->m;
	const struct akma_pkt_info *info = &peer->info;
	size_t frame_len = info->payload_off + len;
	uint64_t t0 = rte_rdtsc();

	if (frame_len > (size_t)m->buf_len - m->data_off || frame_len - AKMA_PKT_ETH_LEN > p->mtu) {
		send_fragments(eth, p, peer, dgram, len); /* rare: counted as parsing */
		add_parse(eth, t0);
		return;
	}
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(frame + info->payload_off, dgram, len);
	uint64_t ol = info->ipv6 ? p->tx_offload6 : p->tx_offload;
	akma_pkt_wire_answer(frame, info, (uint16_t)len, ol != 0);
	m->ol_flags = ol;
	m->l2_len = AKMA_PKT_ETH_LEN;
	m->l3_len = info->ipv6 ? AKMA_PKT_IPV6_LEN : AKMA_PKT_IPV4_LEN;
	set_len(m, frame_len);
	add_parse(eth, t0);
	tx_queue(eth, p, m);
}

static void eth_flush(void *arg)
{
	struct akma_ethdev *eth = arg;
	for (unsigned i = 0; i < eth->n_ports; i++)
		tx_flush(eth, &eth->ports[i]);
}

/* ---- receive ---------------------------------------------------------------------------- */

static unsigned csum_good(const struct rte_mbuf *m)
{
	unsigned good = 0;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		good |= AKMA_PKT_IP_CSUM_GOOD;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		good |= AKMA_PKT_L4_CSUM_GOOD;
	return good;
}

static void take_frame(struct akma_ethdev *eth, unsigned pi, struct rte_mbuf *m)
{
	struct port *p = &eth->ports[pi];
	struct eth_peer peer = {.m = m, .port = (uint16_t)pi};
	uint64_t t0 = rte_rdtsc();

	if (m->nb_segs != 1) {
		p->st.dropped_segmented++;
		rte_pktmbuf_free(m);
		add_parse(eth, t0);
		return;
	}
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	int kind = akma_pkt_classify(&p->ifc, frame, m->data_len, (size_t)m->buf_len - m->data_off,
				     csum_good(m), &peer.info);
	add_parse(eth, t0);
	switch (kind) {
	case AKMA_PKT_ANSWERED:
		if (peer.info.answered_what == 1)
			p->st.arp_answered++;
		else if (peer.info.answered_what == 2)
			p->st.nd_answered++;
		else
			p->st.echo_answered++;
		m->ol_flags = 0;
		set_len(m, peer.info.answer_len);
		tx_queue(eth, p, m);
		return;
	case AKMA_PKT_WIRE:
		p->st.wire_datagrams++;
		if (!akma_wire_server_take(eth->ws, frame + peer.info.payload_off,
					   peer.info.payload_len, 0, &peer))
			rte_pktmbuf_free(m);
		return;
	default:
		p->st.dropped[peer.info.drop]++;
		rte_pktmbuf_free(m);
		return;
	}
}

unsigned akma_ethdev_poll(struct akma_ethdev *eth, uint64_t now_ms)
{
	struct rte_mbuf *pkts[BURST];
	unsigned work = 0;
	uint64_t t_start = rte_rdtsc();

	akma_wire_server_begin(eth->ws, now_ms);
	for (unsigned pi = 0; pi < eth->n_ports; pi++) {
		struct port *p = &eth->ports[pi];
		for (unsigned q = 0; q < eth->rx_queues; q++) {
			uint64_t t0 = rte_rdtsc();
			uint16_t n = rte_eth_rx_burst(p->id, (uint16_t)q, pkts, BURST);
			if (!n)
				continue; /* an empty poll is nobody's cost */
			add_io(eth, t0);
			p->st.rx_frames += n;
			p->st.rx_queue_frames[q] += n;
			for (uint16_t i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				take_frame(eth, pi, pkts[i]);
			}
			work += n;
		}
	}
	work += akma_wire_server_end(eth->ws);
	eth_flush(eth); /* ARP, ND and echo answers, which the server does not see */
	if (work) {
		struct akma_wire_cycles c = {.busy = rte_rdtsc() - t_start};
		akma_wire_server_add_cycles(eth->ws, &c);
	}
	return work;
}

/* ---- ports ------------------------------------------------------------------------------ */

static void link_text(const struct rte_eth_link *l, char *out, size_t size)
{
	if (!l->link_status)
		snprintf(out, size, "link down");
	else if (l->link_speed == RTE_ETH_SPEED_NUM_NONE ||
		 l->link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		snprintf(out, size, "link up (speed unknown), %s-duplex",
			 l->link_duplex ? "full" : "half");
	else
		snprintf(out, size, "link up %u Mb/s %s-duplex", l->link_speed,
			 l->link_duplex ? "full" : "half");
}

void akma_ethdev_check_links(struct akma_ethdev *eth)
{
	for (unsigned i = 0; i < eth->n_ports; i++) {
		struct port *p = &eth->ports[i];
		struct rte_eth_link l;
		char text[64];
		if (rte_eth_link_get_nowait(p->id, &l) != 0)
			continue;
		if (l.link_status == p->st.link_up && l.link_speed == p->st.link_speed_mbps)
			continue;
		p->st.link_up = l.link_status;
		p->st.link_speed_mbps = l.link_speed;
		link_text(&l, text, sizeof(text));
		ETH_LOG(NOTICE, "port %s: %s\n", p->st.name, text);
	}
}

static struct rte_mempool *pool_for(struct akma_ethdev *eth, int socket, unsigned n,
				    unsigned data_room)
{
	unsigned s = socket < 0 ? 0 : (unsigned)socket;
	if (s >= RTE_MAX_NUMA_NODES)
		s = 0;
	if (!eth->pools[s]) {
		char name[RTE_MEMPOOL_NAMESIZE];
		snprintf(name, sizeof(name), "akma_eth_%u", s);
		eth->pools[s] = rte_pktmbuf_pool_create(
			name, n, 256, 0, (uint16_t)(RTE_PKTMBUF_HEADROOM + data_room),
			socket < 0 ? SOCKET_ID_ANY : socket);
	}
	return eth->pools[s];
}

static int resolve(const char *name, uint16_t *id)
{
	char *end;
	unsigned long n = strtoul(name, &end, 10);
	if (*name && !*end)
		return n < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port((uint16_t)n)
			       ? (*id = (uint16_t)n, 0)
			       : -1;
	return rte_eth_dev_get_port_by_name(name, id);
}

static void known_ports(char *out, size_t size)
{
	uint16_t id;
	size_t at = 0;
	out[0] = 0;
	RTE_ETH_FOREACH_DEV(id)
	{
		char n[RTE_ETH_NAME_MAX_LEN];
		if (rte_eth_dev_get_name_by_port(id, n) == 0 && at < size)
			at += (size_t)snprintf(out + at, size - at, "%s%s (%u)", at ? ", " : "", n,
					       id);
	}
	if (!at)
		snprintf(out, size, "none: give one with --vdev or bind a NIC");
}

static int open_port(struct akma_ethdev *eth, const struct akma_ethdev_params *prm, unsigned pi,
		     char *why, size_t why_size)
{
	const struct akma_ethdev_port_params *pp = &prm->ports[pi];
	struct port *p = &eth->ports[pi];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	char known[512];
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->st.name, sizeof(p->st.name), "%s", pp->name);
	if (resolve(pp->name, &p->id) != 0) {
		known_ports(known, sizeof(known));
		snprintf(why, why_size, "ethdev.ports: no DPDK port %s (the EAL has %s)", pp->name,
			 known);
		return -1;
	}
	p->st.port_id = p->id;
	if ((rc = rte_eth_dev_info_get(p->id, &info)) != 0) {
		snprintf(why, why_size, "ethdev port %s: %s", pp->name, rte_strerror(-rc));
		return -1;
	}
	if (prm->rx_queues > info.max_rx_queues) {
		snprintf(why, why_size,
			 "ethdev.rx_queues: port %s has at most %u receive queues, not %u",
			 pp->name, info.max_rx_queues, prm->rx_queues);
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	const uint64_t rx_csum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	conf.rxmode.offloads = info.rx_offload_capa & rx_csum;
	uint64_t tx_capa = info.tx_offload_capa;
	int ip_off = (tx_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	int udp_off = (tx_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
	if (ip_off && udp_off) {
		conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		p->tx_offload =
			RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
		p->tx_offload6 = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
	}
	p->st.ip_csum_offload = (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) && ip_off;
	p->st.l4_csum_offload = (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) && udp_off;
	if (prm->rx_queues > 1) {
		/* RSS on the UDP 4-tuple: a sender's datagrams stay on one queue */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_NONFRAG_IPV4_UDP |
						    RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IP) &
						   info.flow_type_rss_offloads;
	}
	if ((rc = rte_eth_dev_configure(p->id, (uint16_t)prm->rx_queues, 1, &conf)) != 0) {
		snprintf(why, why_size, "ethdev port %s: cannot configure it: %s", pp->name,
			 rte_strerror(-rc));
		return -1;
	}
	uint16_t nrx = (uint16_t)prm->rx_desc, ntx = (uint16_t)prm->tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nrx, &ntx);
	int socket = rte_eth_dev_socket_id(p->id);
	p->pool = pool_for(eth, socket, prm->mbufs, eth->data_room);
	if (!p->pool) {
		snprintf(why, why_size, "ethdev.mbufs: cannot create a pool of %u mbufs: %s",
			 prm->mbufs, rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned q = 0; q < prm->rx_queues; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;
		rxc.offloads = conf.rxmode.offloads;
		rc = rte_eth_rx_queue_setup(p->id, (uint16_t)q, nrx, (unsigned)socket, &rxc,
					    p->pool);
		if (rc != 0) {
			snprintf(why, why_size, "ethdev port %s: receive queue %u: %s", pp->name, q,
				 rte_strerror(-rc));
			return -1;
		}
	}
	struct rte_eth_txconf txc = info.default_txconf;
	txc.offloads = conf.txmode.offloads;
	if ((rc = rte_eth_tx_queue_setup(p->id, 0, ntx, (unsigned)socket, &txc)) != 0) {
		snprintf(why, why_size, "ethdev port %s: transmit queue: %s", pp->name,
			 rte_strerror(-rc));
		return -1;
	}
	if ((rc = rte_eth_dev_start(p->id)) != 0) {
		snprintf(why, why_size, "ethdev port %s: cannot start it: %s", pp->name,
			 rte_strerror(-rc));
		return -1;
	}
	p->started = 1;
	rte_eth_allmulticast_enable(p->id); /* solicited-node groups, for ND */
	rte_eth_macaddr_get(p->id, &mac);
	if (prm->mtu && (rc = rte_eth_dev_set_mtu(p->id, (uint16_t)prm->mtu)) != 0)
		/* net_af_packet and net_memif, for two, cannot set it: their
		 * frames' size is the kernel interface's or the memif buffers' */
		ETH_LOG(WARNING,
			"port %s cannot take ethdev.mtu %u (%s); akmad sizes its mbufs and "
			"answers for it anyway: make sure the link carries it (net_af_packet: ip "
			"link set IF mtu %u, and framesz= above it)\n",
			pp->name, prm->mtu, rte_strerror(-rc), prm->mtu);
	if (prm->mtu)
		p->mtu = (uint16_t)prm->mtu;
	else if (rte_eth_dev_get_mtu(p->id, &p->mtu) != 0 || p->mtu < 1280)
		p->mtu = 1500;
	memcpy(p->ifc.mac, mac.addr_bytes, 6);
	p->ifc.has_ipv4 = pp->has_ipv4;
	p->ifc.has_ipv6 = pp->has_ipv6;
	memcpy(p->ifc.ipv4, pp->ipv4, 4);
	memcpy(p->ifc.ipv6, pp->ipv6, 16);
	p->ifc.udp_port = pp->udp_port;
	akma_pkt_if_link_local(&p->ifc);
	p->st.rx_queues = prm->rx_queues;

	char v4[INET_ADDRSTRLEN + 8] = "", v6[INET6_ADDRSTRLEN + 8] = "";
	if (pp->has_ipv4)
		snprintf(v4, sizeof(v4), " %u.%u.%u.%u", pp->ipv4[0], pp->ipv4[1], pp->ipv4[2],
			 pp->ipv4[3]);
	if (pp->has_ipv6) {
		v6[0] = ' ';
		inet_ntop(AF_INET6, pp->ipv6, v6 + 1, sizeof(v6) - 1);
	}
	ETH_LOG(NOTICE,
		"port %s (%u, %s): MAC " RTE_ETHER_ADDR_PRT_FMT
		", MTU %u (mbufs of %u), %u receive queue(s) of %u, %u transmit descriptors; wire "
		"protocol on UDP %u at%s%s; checksum offload: %s\n",
		pp->name, p->id, info.driver_name, RTE_ETHER_ADDR_BYTES(&mac), p->mtu,
		eth->data_room, prm->rx_queues, nrx, ntx, pp->udp_port, v4, v6,
		p->tx_offload ? "yes" : "no (computed here)");
	return 0;
}

struct akma_ethdev *akma_ethdev_open(const struct akma_ethdev_params *prm, struct akma_engine *e,
				     unsigned producer, char *why, size_t why_size)
{
	struct akma_ethdev *eth;

	if (eth_log < 0)
		eth_log = rte_log_register_type_and_pick_level("akma.ethdev", RTE_LOG_NOTICE);
	if (!prm->n_ports || prm->n_ports > AKMA_ETHDEV_MAX_PORTS || !prm->rx_queues ||
	    prm->rx_queues > AKMA_ETHDEV_MAX_QUEUES) {
		snprintf(why, why_size, "ethdev: 1 to %d ports of 1 to %d queues",
			 AKMA_ETHDEV_MAX_PORTS, AKMA_ETHDEV_MAX_QUEUES);
		return NULL;
	}
	eth = calloc(1, sizeof(*eth));
	if (!eth) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	eth->rx_queues = prm->rx_queues;
	const struct akma_wire_server_params wp = {
		.psk = prm->psk,
		.replay_window_ms = prm->replay_window_ms,
		.max_senders = prm->max_senders,
		.peer_size = sizeof(struct eth_peer),
		.path = AKMA_WIRE_PATH_ETHDEV,
		.transport = {eth, eth_send, eth_flush, prm->read_counters, prm->counters_arg},
	};
	eth->ws = akma_wire_server_create(&wp, e, producer, why, why_size);
	if (!eth->ws) {
		free(eth);
		return NULL;
	}
	/* One mbuf holds any frame of any port: jumbo MTUs get jumbo mbufs. */
	eth->data_room = 2048;
	for (unsigned i = 0; i < prm->n_ports; i++) {
		uint16_t id, mtu;
		if (resolve(prm->ports[i].name, &id) == 0 &&
		    (prm->mtu ? (mtu = (uint16_t)prm->mtu, 1)
			      : rte_eth_dev_get_mtu(id, &mtu) == 0) &&
		    (unsigned)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN > eth->data_room)
			eth->data_room =
				((unsigned)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 1023) &
				~1023u;
	}
	if (eth->data_room > UINT16_MAX - RTE_PKTMBUF_HEADROOM)
		eth->data_room = UINT16_MAX - RTE_PKTMBUF_HEADROOM;
	for (unsigned i = 0; i < prm->n_ports; i++) {
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(prm->ports[i].name, prm->ports[j].name)) {
				snprintf(why, why_size, "ethdev.ports: %s is listed twice",
					 prm->ports[i].name);
				akma_ethdev_close(eth);
				return NULL;
			}
		eth->n_ports = i + 1;
		if (open_port(eth, prm, i, why, why_size) != 0) {
			akma_ethdev_close(eth);
			return NULL;
		}
	}
	akma_ethdev_check_links(eth);
	return eth;
}

void akma_ethdev_close(struct akma_ethdev *eth)
{
	if (!eth)
		return;
	for (unsigned i = 0; i < eth->n_ports; i++) {
		struct port *p = &eth->ports[i];
		if (p->n_tx) {
			rte_pktmbuf_free_bulk(p->tx, p->n_tx);
			p->n_tx = 0;
		}
		if (p->started) {
			rte_eth_dev_stop(p->id);
			rte_eth_dev_close(p->id);
		}
	}
	for (unsigned s = 0; s < RTE_MAX_NUMA_NODES; s++)
		rte_mempool_free(eth->pools[s]);
	akma_wire_server_free(eth->ws);
	explicit_bzero(eth->scratch, sizeof(eth->scratch)); /* a sealed answer only, but still */
	free(eth);
}

unsigned akma_ethdev_in_flight(const struct akma_ethdev *eth)
{
	return akma_wire_server_in_flight(eth->ws);
}

void akma_ethdev_wire_stats(const struct akma_ethdev *eth, struct akma_wire_server_stats *st)
{
	akma_wire_server_stats(eth->ws, st);
}

void akma_ethdev_set_replay_window(struct akma_ethdev *eth, uint64_t window_ms)
{
	akma_wire_server_set_replay_window(eth->ws, window_ms);
}

unsigned akma_ethdev_ports(const struct akma_ethdev *eth)
{
	return eth->n_ports;
}

void akma_ethdev_port_stats(const struct akma_ethdev *eth, unsigned i,
			    struct akma_ethdev_port_stats *st)
{
	const struct port *p = &eth->ports[i];
	struct rte_eth_stats es;

	*st = p->st;
	if (rte_eth_stats_get(p->id, &es) == 0)
		st->rx_nombuf = es.rx_nombuf;
}

void akma_ethdev_write_metrics(const struct akma_ethdev *eth, FILE *f)
{
	struct akma_ethdev_port_stats st;
	static const struct {
		const char *name, *help;
		size_t off;
	} series[] = {
#define S(field, help) {#field, help, offsetof(struct akma_ethdev_port_stats, field)}
		S(rx_frames, "Frames received on the DPDK port"),
		S(tx_frames, "Frames sent on the DPDK port"),
		S(wire_datagrams,
		  "UDP datagrams to the port's wire address handed to the wire server"),
		S(arp_answered, "ARP requests for the port's IPv4 address answered"),
		S(nd_answered, "IPv6 neighbour solicitations for the port's addresses answered"),
		S(echo_answered, "ICMP and ICMPv6 echo requests answered"),
		S(dropped_segmented, "Frames dropped: in more than one mbuf"),
		S(tx_full, "Frames dropped: the transmit ring was full"),
		S(no_mbuf, "Answer fragments not sent: the mbuf pool was empty"),
		S(rx_nombuf, "Receive mbuf allocation failures (the PMD's count)"),
		S(fragmented, "Answers longer than the MTU, sent as IP fragments"),
#undef S
	};

	for (size_t k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
		fprintf(f,
			"# HELP akmad_ethdev_%s_total %s.\n# TYPE akmad_ethdev_%s_total counter\n",
			series[k].name, series[k].help, series[k].name);
		for (unsigned i = 0; i < eth->n_ports; i++) {
			akma_ethdev_port_stats(eth, i, &st);
			fprintf(f, "akmad_ethdev_%s_total{port=\"%s\"} %" PRIu64 "\n",
				series[k].name, st.name,
				*(const uint64_t *)((const char *)&st + series[k].off));
		}
	}
	fprintf(f, "# HELP akmad_ethdev_dropped_total Frames dropped by the port's classifier, "
		   "by cause.\n# TYPE akmad_ethdev_dropped_total counter\n");
	for (unsigned i = 0; i < eth->n_ports; i++) {
		akma_ethdev_port_stats(eth, i, &st);
		for (unsigned c = 0; c < AKMA_PKT_N_DROPS; c++)
			fprintf(f,
				"akmad_ethdev_dropped_total{port=\"%s\",cause=\"%s\"} %" PRIu64
				"\n",
				st.name, akma_pkt_drop_names[c], st.dropped[c]);
	}
	fprintf(f, "# HELP akmad_ethdev_rx_queue_frames_total Frames received, by receive "
		   "queue.\n# TYPE akmad_ethdev_rx_queue_frames_total counter\n");
	for (unsigned i = 0; i < eth->n_ports; i++) {
		akma_ethdev_port_stats(eth, i, &st);
		for (unsigned q = 0; q < st.rx_queues; q++)
			fprintf(f,
				"akmad_ethdev_rx_queue_frames_total{port=\"%s\",queue=\"%u\"} "
				"%" PRIu64 "\n",
				st.name, q, st.rx_queue_frames[q]);
	}
	fprintf(f, "# HELP akmad_ethdev_link_up 1 while the port's link is up.\n"
		   "# TYPE akmad_ethdev_link_up gauge\n");
	for (unsigned i = 0; i < eth->n_ports; i++) {
		akma_ethdev_port_stats(eth, i, &st);
		fprintf(f, "akmad_ethdev_link_up{port=\"%s\"} %u\n", st.name, st.link_up);
	}
}
