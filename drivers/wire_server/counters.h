/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_COUNTERS_H
#define AKMA_COUNTERS_H

/*
 * akmad's counters, one list with one name each: the engine's (summed over
 * its workers), the store's and the wire servers' (summed over the kernel
 * socket and DPDK port paths, then each path's cycle profile). The wire protocol's
 * STATS answer, the /akma/stats telemetry command and akmad's /metrics
 * (as akmad_<name>, with _total on counters) are all made from this list,
 * so a counter has the same name in all three.
 *
 * X(name, kind, help): kind is COUNTER (only grows) or GAUGE.
 */

#include <stdint.h>
#include <stdio.h>

#include "wire_server.h"
#include "worker.h"

#define AKMA_COUNTERS(X)                                                                        \
	X(contexts, GAUGE, "AKMA contexts in the store")                                        \
	X(capacity, GAUGE, "AKMA contexts the store can hold")                                  \
	X(awaiting_reclaim, GAUGE, "removed contexts whose memory awaits an RCU grace period")  \
	X(get_kaf, COUNTER, "GET_KAF requests the workers answered")                            \
	X(hits, COUNTER, "GET_KAF requests that found their A-KID")                             \
	X(misses, COUNTER, "GET_KAF requests for an unknown A-KID")                             \
	X(expired, COUNTER, "GET_KAF requests for an expired context")                          \
	X(kaf_expired, COUNTER, "GET_KAF requests refused: the K_AF outlived kaf_lifetime")     \
	X(registers, COUNTER, "REGISTER requests the workers answered")                         \
	X(register_failed, COUNTER, "REGISTER requests refused")                                \
	X(removes, COUNTER, "REMOVE requests the workers answered")                             \
	X(remove_not_found, COUNTER, "REMOVE requests for an unknown UE")                       \
	X(writes_refused, COUNTER, "writes refused: replication backlog full or writes off")    \
	X(not_primary, COUNTER, "requests answered NOT_PRIMARY: the lease is not held")         \
	X(rid_not_served, COUNTER, "requests for an A-KID of a routing indicator not served")   \
	X(bad_requests, COUNTER, "requests refused as malformed")                               \
	X(internal_errors, COUNTER, "requests answered INTERNAL")                               \
	X(rx_datagrams, COUNTER, "wire datagrams received")                                     \
	X(tx_datagrams, COUNTER, "wire datagrams sent")                                         \
	X(requests, COUNTER, "wire messages received")                                          \
	X(overload, COUNTER, "wire messages answered OVERLOAD")                                 \
	X(dropped_short, COUNTER, "datagrams dropped: too short or not the wire protocol")      \
	X(dropped_plain, COUNTER, "datagrams dropped: unencrypted where not allowed")           \
	X(dropped_stale, COUNTER, "datagrams dropped: outside the freshness window")            \
	X(dropped_auth, COUNTER, "datagrams dropped: the GCM tag did not verify")               \
	X(dropped_replay, COUNTER, "datagrams dropped: replayed")                               \
	X(dropped_senders, COUNTER, "datagrams dropped: the replay table was full")             \
	X(version_errors, COUNTER, "datagrams of another protocol version")                     \
	X(version_errors_unanswered, COUNTER,                                                   \
	  "of those, not answered: too short, or over the rate")                                \
	X(dropped_direction, COUNTER, "datagrams dropped: a response, or under akmad's own id") \
	X(stale_epoch, COUNTER, "requests under another server epoch, answered EPOCH")          \
	X(send_errors, COUNTER, "wire datagrams the kernel did not send")                       \
	X(senders, GAUGE, "wire senders heard from within the freshness window")                \
	X(tsc_hz, GAUGE, "TSC cycles a second (for the *_cycles counters)")                     \
	AKMA_PATH_COUNTERS(X, sock, "kernel socket")                                            \
	AKMA_PATH_COUNTERS(X, ethdev, "DPDK port")

/* Where one path's I/O lcore spends its cycles (wire_server.h). */
#define AKMA_PATH_COUNTERS(X, p, what)                                             \
	X(p##_requests, COUNTER, "wire messages received on the " what " path")    \
	X(p##_busy_cycles, COUNTER, "TSC cycles of " what " passes that did work") \
	X(p##_io_cycles, COUNTER, "of those, in system calls or rx/tx bursts")     \
	X(p##_parse_cycles, COUNTER, "of those, classifying and rewriting frames") \
	X(p##_crypto_cycles, COUNTER, "of those, in AES-GCM (open and seal)")      \
	X(p##_decode_cycles, COUNTER, "of those, turning messages into requests")  \
	X(p##_handoff_cycles, COUNTER, "of those, submitting to and collecting from workers")

enum akma_counter {
#define AKMA_COUNTER_ENUM(name, kind, help) AKMA_CTR_##name,
	AKMA_COUNTERS(AKMA_COUNTER_ENUM)
#undef AKMA_COUNTER_ENUM
		AKMA_N_COUNTERS
};

extern const char *const akma_counter_names[AKMA_N_COUNTERS];

/* Read every counter into v: e's workers and store, and each path's wire
 * server (paths[AKMA_WIRE_PATH_*]; zeroed for a path that is not open, as on
 * a standby that serves nothing yet). Any thread; each value is read
 * atomically, the set is not a snapshot. */
void akma_counters_read(struct akma_engine *e,
			const struct akma_wire_server_stats paths[AKMA_WIRE_N_PATHS],
			uint64_t v[AKMA_N_COUNTERS]);

/* Write v in the Prometheus text format, as akmad_<name> (counters with
 * _total), each with its HELP and TYPE. */
void akma_counters_prometheus(const uint64_t v[AKMA_N_COUNTERS], FILE *out);

#endif
