/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_METRICS_H
#define AKMA_METRICS_H

/*
 * The metrics listener: plain HTTP/1.1 on a port of its own
 * (metrics.listen), serving GET /metrics in the Prometheus text format
 * (version 0.0.4), so that a stock Prometheus scrapes akmad and akma-sbi
 * without HTTP/2 or the SBI's trust boundary. One thread; one connection at
 * a time, each given 2 s to send its request and closed after the answer
 * (Connection: close), so a client that holds one delays a scrape by 2 s
 * at most. The program supplies the series (write); the process's own
 * (start time, resident memory, open descriptors, build information) are
 * added here, the same in both programs.
 *
 * Naming (README, "Metrics"): every series starts with akmad_; counters end
 * in _total; units are base units named in the series (_seconds, _bytes).
 */

#include <stdio.h>

struct akma_metrics;

struct akma_metrics_params {
	const char *listen;  /* "HOST:PORT" or "[V6]:PORT" */
	const char *program; /* "akmad" or "akma-sbi": the build_info label */
	const char *build;   /* more build_info labels, 'name="value",...' (versions) */
	/* Write the program's series to f. Called on the metrics thread, one
	 * scrape at a time; it must read its counters atomically and not block. */
	void (*write)(void *ctx, FILE *f);
	void *ctx;
};

/* Bind and start the thread. Returns NULL with a one-line reason in why
 * (the address, and why it could not be used). Call from main. */
struct akma_metrics *akma_metrics_start(const struct akma_metrics_params *p, char *why,
					size_t why_size);

/* The address bound, as "HOST:PORT" (the port the kernel chose for :0). */
const char *akma_metrics_address(const struct akma_metrics *m);

/* Stop the thread (within 250 ms) and close the listener. NULL is a no-op. */
void akma_metrics_stop(struct akma_metrics *m);

/* The process's series (akmad_process_*, akmad_build_info), written by
 * every scrape; exposed for tests. */
void akma_metrics_process(const char *program, const char *build, FILE *f);

#endif
