/* SPDX-License-Identifier: BSD-3-Clause */
#include "eal.h"
#include "log.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_memory.h>

static int eal_started;

/* ---- the log: rte_log's lines through log.h ---------------------------------------------------- */

static __thread char log_line[2048];
static __thread size_t log_len;

/* DPDK's log stream is this FILE: its write callback cuts what rte_log
 * writes into lines, each with the severity rte_log_cur_msg_loglevel()
 * says the message has (RTE_LOG_EMERG 1 .. RTE_LOG_DEBUG 8: syslog's + 1). */
static ssize_t log_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n' || log_len == sizeof(log_line)) {
			akma_log_emit(rte_log_cur_msg_loglevel() - 1, log_line, log_len);
			log_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		log_line[log_len++] = buf[i];
	}
	return (ssize_t)size;
}

int akma_eal_log_stream(void)
{
	cookie_io_functions_t io = {.write = log_write};
	FILE *f = fopencookie(NULL, "w", io);
	if (!f)
		return -1;
	setvbuf(f, NULL, _IONBF, 0);
	return rte_openlog_stream(f);
}

/* DPDK's memory holds the requests (K_AKMA, K_AF) and, without hugepages,
 * is a memfd that every core dump includes: none of it is dumped. madvise
 * covers what is mapped now; memory DPDK maps later (hugepages, dynamic
 * mode) is marked by the callback as it arrives. */
static int exclude_list(const struct rte_memseg_list *msl, void *arg)
{
	(void)arg;
	if (msl->base_va && msl->len)
		madvise(msl->base_va, msl->len,
			MADV_DONTDUMP); /* ENOMEM for holes: the rest is marked */
	return 0;
}

static void exclude_new_memory(enum rte_mem_event event, const void *addr, size_t len, void *arg)
{
	(void)arg;
	if (event == RTE_MEM_EVENT_ALLOC)
		madvise((void *)(uintptr_t)addr, len, MADV_DONTDUMP);
}

int akma_eal_init(const char *name, int argc, char **argv, const struct akma_eal_defaults *d)
{
	char prefix[96], mem[16], lcores[128];
	int rc;

	if (argc > 1) {
		rc = rte_eal_init(argc, argv);
	} else {
		char *args[16];
		int n = 0;
		snprintf(prefix, sizeof(prefix), "--file-prefix=%s-%d", name, (int)getpid());
		snprintf(mem, sizeof(mem), "%u", d->mem_mb);
		args[n++] = (char *)name;
		args[n++] = "--no-huge";
		args[n++] = "--no-pci";
		args[n++] = "--no-shconf";
		args[n++] = prefix;
		args[n++] = "-m";
		args[n++] = mem;
		args[n++] = "--log-level=lib.eal:error";
		if (d->no_telemetry)
			args[n++] = "--no-telemetry";
		if (d->vdev) {
			args[n++] = "--vdev";
			args[n++] = (char *)d->vdev;
		}
		if (d->lcores) {
			snprintf(lcores, sizeof(lcores), "--lcores=%s", d->lcores);
			args[n++] = lcores;
		}
		args[n] = NULL;
		rc = rte_eal_init(n, args);
		if (rc >= 0)
			rc = 0; /* none of the caller's arguments was consumed */
	}
	if (rc < 0) {
		fprintf(stderr, "%s: DPDK EAL did not start: %s\n", name, rte_strerror(rte_errno));
		return -1;
	}
	eal_started = 1;
	rte_memseg_list_walk(exclude_list, NULL);
	rte_mem_event_callback_register("akma-dontdump", exclude_new_memory, NULL);
	return rc;
}

void akma_eal_cleanup(void)
{
	char dir[PATH_MAX];

	if (!eal_started)
		return;
	eal_started = 0;
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (!dir[0])
		return;
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	struct dirent *ent;
	while ((ent = readdir(dp)) != NULL)
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			unlinkat(dirfd(dp), ent->d_name, 0);
	closedir(dp);
	rmdir(dir);
}
