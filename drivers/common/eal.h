/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_EAL_H
#define AKMA_EAL_H

/*
 * DPDK EAL start-up and clean-up, the same for akmad, akma-bench and the
 * tests: with no EAL options, defaults that run on a laptop or a CI box (no
 * hugepages, no PCI, no shared configuration, a file prefix of its own);
 * with options, exactly what the operator gave. Either way DPDK's memory
 * (requests with their keys) is kept out of core dumps. Call from main only.
 */

struct akma_eal_defaults {
	unsigned mem_mb;    /* -m: memory without hugepages */
	const char *lcores; /* --lcores list ("0-1", "0@0,1@1"); NULL: every CPU allowed */
	int no_telemetry;   /* benchmarks and tests: no telemetry socket */
	const char *vdev;   /* a --vdev to add (akma-bench's DPDK port), or NULL */
};

/* Start EAL. With argc <= 1 (no EAL options), uses d: --no-huge --no-pci
 * --no-shconf, --file-prefix=<name>-<pid>, -m d->mem_mb, and d->lcores.
 * Otherwise argv[0..argc-1] go to rte_eal_init() as given. Returns the
 * number of the caller's arguments EAL consumed (0 with the defaults), or -1
 * with a message naming name on stderr. Call once, before any other DPDK
 * call. */
int akma_eal_init(const char *name, int argc, char **argv, const struct akma_eal_defaults *d);

/* Route DPDK's log (rte_log, every component's) through log.h, one line
 * an event with its severity; call after akma_log_setup(). Returns 0 or
 * -1 (the log stays as it was). */
int akma_eal_log_stream(void);

/* Stop EAL and remove its own runtime directory (under /var/run/dpdk or
 * $XDG_RUNTIME_DIR/dpdk, named by its file prefix), which rte_eal_cleanup()
 * leaves behind; nothing else is touched. Safe to call when EAL never
 * started. Call last, from main. */
void akma_eal_cleanup(void);

#endif
