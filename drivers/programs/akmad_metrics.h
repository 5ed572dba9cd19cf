/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMAD_METRICS_H
#define AKMAD_METRICS_H

/* akmad's series for the metrics listener (akmad_metrics.c). */

#include <stdio.h>

#include "replicator.h"
#include "sbi.h"
#include "wire_server.h"
#include "worker.h"

struct akmad_metrics_sources {
	struct akma_engine *engine;
	void (*read_counters)(void *arg, uint64_t *v); /* counters.h's */
	void *counters_arg;
	struct akma_sbi *sbi;        /* NULL: no SBI */
	struct akma_replicator *rep; /* NULL: no replication */
};

/* Write every series of src to f. The metrics thread; counters read
 * relaxed, one by one; never blocks. */
void akmad_metrics_write(const struct akmad_metrics_sources *src, FILE *f);

#endif
