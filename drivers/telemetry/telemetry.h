/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_TELEMETRY_H
#define AKMA_TELEMETRY_H

/*
 * akmad's DPDK telemetry commands, read with DPDK's dpdk-telemetry.py
 * (dpdk-telemetry.py -f akmad-PID):
 *   /akma/stats    engine and wire totals (wire_server/counters.h: the same names
 *                  as the wire protocol's STATS and akmad's /metrics)
 *   /akma/lcores   per-worker counters (param: worker index; none: worker 0)
 *   /akma/store    context store occupancy and memory
 *   /akma/config   every configuration key in force, as section_key (DPDK
 *                  allows no '.' in names)
 *   /akma/replication  replication state, server, backlog, lag, counters
 *   /akma/nrf      the NRF registration: state, registrations, heartbeats
 *   /akma/ethdev   each DPDK port: link, frames, ARP/ND/echo answered, drops by
 *                  cause, frames per receive queue
 *   /akma/promote  ask a standby to take over now (akmactl promote sends it);
 *                  the one command that acts: the telemetry socket is the
 *                  local administrator's, owner-only under DPDK's runtime
 *                  directory
 * Callbacks run on DPDK's telemetry thread and only read counters (and
 * /akma/promote sets a flag).
 */

#include "conf.h"
#include "ethdev.h"
#include "nrf.h"
#include "replicator.h"
#include "wire_server.h"
#include "worker.h"

/* Register the commands. Call once after EAL init; e, read's arg and the
 * configuration c (a struct of table t) must outlive the process's
 * telemetry (akmad keeps them to exit). read fills every counter of
 * counters.h (on the telemetry thread). */
int akma_telemetry_register(struct akma_engine *e, void (*read)(void *arg, uint64_t *v), void *arg,
			    const struct akma_conf_table *t, const void *c);

/* The replicator, the NRF client; either may stay NULL. */
void akma_telemetry_set_replicator(struct akma_replicator *r);
void akma_telemetry_set_ethdev(struct akma_ethdev *eth); /* NULL before closing it */
void akma_telemetry_set_nrf(struct akma_nrf *n);

#endif
