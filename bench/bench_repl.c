/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench replication: what replication to Redis costs and how fast a
 * store comes back from it.
 *
 * Registrations: REGISTERs through the engine's rings and a worker lcore,
 * with the replication thread writing to Redis, in each mode (off, async,
 * sync), beside redis-benchmark -P 64 -t set on the same server in the same
 * run: the rate at which that Redis takes SETs at all, the ceiling of any
 * client; and beside what that Redis takes of akmad's own write shape (new
 * keys, record-sized values, MSETs of 64), the ceiling for registrations.
 * Recovery: N records written to Redis, then loaded into a fresh store as
 * akmad does at start, beside the bare Redis read of the same keys (SCAN and
 * MGET, nothing decoded or stored) in the same run.
 *
 * Without --redis a private redis-server is started on a free port (no
 * persistence) and stopped at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <urcu/urcu-qsbr.h>

#include "addr.h"
#include "bench.h"
#include "err.h"
#include "hex.h"
#include "redis.h"
#include "replicator.h"
#include "worker.h"
#include "clock.h"

static const char usage_text[] =
	"Usage: akma-bench replication [OPTIONS]\n"
	"\n"
	"REGISTER rate through the engine with replication off, async and sync,\n"
	"beside redis-benchmark -P 64 -t set against the same Redis in the same run\n"
	"(and two like-for-like variants: new keys with record-sized values, as SETs\n"
	"and as MSETs of 64, the shape akmad writes);\n"
	"then the recovery rate: N contexts written to Redis and loaded into a fresh\n"
	"store as akmad does at start, beside a bare SCAN + MGET of the same keys.\n"
	"\n"
	"  --redis HOST:PORT    a Redis to use (it is FLUSHALLed!); default: start a\n"
	"                       private redis-server on a free port, stop it after\n"
	"  --registrations M    REGISTERs a mode (default 300000; 0 skips)\n"
	"  --contexts N         contexts for the recovery (default 1000000; 0 skips)\n"
	"  --inflight K         REGISTERs in flight (default 512); sync also runs\n"
	"                       with 4096, nearer the MSET ceiling's own 12800 keys\n"
	"                       in flight (50 connections x 4 MSETs x 64 keys)\n"
	"  --spread             the worker lcore on the second core; by default\n"
	"                       every akma-bench thread shares the first with the\n"
	"                       producer, as redis-benchmark runs on it alone, so\n"
	"                       that redis-server has the other core in the\n"
	"                       registrations as in the ceilings\n"
	"  --csv                rows as CSV\n";

static char redis_addr[64];
static int redis_port;
static pid_t redis_pid;
static char redis_dir[64];

/* A TCP port free on 127.0.0.1 now: drawn at random below Linux's
 * ephemeral range (32768 up), as the tests' free_port does, so that no
 * client socket (redis-benchmark's 50) takes it meanwhile; probed by
 * binding it. -1 when 1000 draws found none. */
static int free_port(void)
{
	srand((unsigned)getpid() ^ (unsigned)akma_mono_ns());
	for (int i = 0; i < 1000; i++) {
		int port = 20000 + rand() % 12000;
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return port;
	}
	return -1;
}

/* Whether the Redis on redis_port is the one this process started: it is
 * FLUSHALLed, so a server someone else runs there must never be taken for
 * it (the port used to come from the PID, unchecked). */
static int redis_is_ours(void)
{
	redisContext *c = redisConnect("127.0.0.1", redis_port);
	int ours = 0;
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "INFO server");
		const char *at =
			r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "process_id:") : NULL;
		ours = at && strtol(at + 11, NULL, 10) == (long)redis_pid;
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return ours;
}

static int start_private_redis(void)
{
	snprintf(redis_dir, sizeof(redis_dir), "/tmp/akma-bench-redis-XXXXXX");
	if (!mkdtemp(redis_dir))
		return -1;
	/* A port free when asked may be taken before redis-server binds it:
	 * then that child exits, and another port is tried. */
	for (int attempt = 0; attempt < 5; attempt++) {
		if ((redis_port = free_port()) < 0)
			break;
		redis_pid = fork();
		if (redis_pid < 0)
			break;
		if (redis_pid == 0) {
			char port[16];
			snprintf(port, sizeof(port), "%d", redis_port);
			int null = open("/dev/null", 1);
			dup2(null, 1);
			execlp("redis-server", "redis-server", "--port", port, "--bind",
			       "127.0.0.1", "--dir", redis_dir, "--save", "", "--appendonly", "no",
			       (char *)NULL);
			_exit(127);
		}
		snprintf(redis_addr, sizeof(redis_addr), "127.0.0.1:%d", redis_port);
		int status;
		for (int i = 0; i < 200; i++) { /* 10 s */
			if (waitpid(redis_pid, &status, WNOHANG) == redis_pid) {
				redis_pid = 0;
				if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
					fprintf(stderr,
						"akma-bench replication: redis-server is not "
						"installed (apt-get install redis-server)\n");
					rmdir(redis_dir);
					return -1;
				}
				break; /* it could not bind: another port */
			}
			if (redis_is_ours())
				return 0;
			usleep(50000);
		}
		if (redis_pid > 0) {
			kill(redis_pid, SIGKILL);
			waitpid(redis_pid, NULL, 0);
			redis_pid = 0;
		}
	}
	fprintf(stderr, "akma-bench replication: a private redis-server did not start on a free "
			"port (5 tries)\n");
	rmdir(redis_dir);
	return -1;
}

static void stop_private_redis(void)
{
	if (redis_pid <= 0)
		return;
	kill(redis_pid, SIGTERM);
	waitpid(redis_pid, NULL, 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", redis_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "akma-bench replication: could not remove %s\n", redis_dir);
}

/* CPU seconds the private redis-server has used (0 when it is not ours). */
static double redis_cpu(void)
{
	char path[64];
	unsigned long ut = 0, st = 0;
	if (redis_pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)redis_pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	/* pid (comm) state ppid ... utime stime are fields 14 and 15 */
	int rc = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	fclose(f);
	return rc == 2 ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : 0;
}

/* CPU time of every thread of this process, by thread name: where a
 * registration's CPU goes (the producer is akma-bench's main thread, the
 * engine's worker an lcore-worker, replication akma-repl). A thread's CPU
 * clock from its tid is Linux's (clockid ~tid << 3 | 6, as glibc builds
 * pthread_getcpuclockid's), nanosecond-exact where /proc's ticks are 10 ms. */
#define MAX_THREADS 16
struct thread_cpu {
	int n;
	char name[MAX_THREADS][16];
	double sec[MAX_THREADS];
	double sleeps[MAX_THREADS]; /* voluntary context switches: how often it slept */
	double ticks[MAX_THREADS], kernel_ticks[MAX_THREADS]; /* /proc's utime + stime, stime */
};

/* A thread's user and kernel CPU ticks (fields 14 and 15 of its stat,
 * counted after the command's closing parenthesis, which may hold spaces).
 * Only their ratio is used: the share of its CPU a thread spent in the
 * kernel (sockets, wakeups), which tells the cost of syscalls on this host
 * from the work of akmad's own code. On the Zen 1 VM of 2026-12-04 the
 * replication thread spent 20-37 % of its CPU there, the worker 7-11 %. */
static void thread_ticks(int tid, double *all, double *kernel)
{
	char path[64], line[512];
	unsigned long long ut = 0, st = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	const char *p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return;
	*all += (double)(ut + st);
	*kernel += (double)st;
}

static double thread_sleeps(int tid)
{
	char path[64], line[128];
	unsigned long v = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lu", &v) == 1)
			break;
	fclose(f);
	return (double)v;
}

static void thread_cpu_snapshot(struct thread_cpu *t)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	t->n = 0;
	while (d && (de = readdir(d)) != NULL && t->n < MAX_THREADS) {
		int tid = atoi(de->d_name);
		if (tid <= 0)
			continue;
		char path[64];
		struct timespec ts;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		char *name = t->name[t->n];
		if (!fgets(name, sizeof(t->name[0]), f))
			name[0] = 0;
		fclose(f);
		name[strcspn(name, "\n")] = 0;
		if (clock_gettime((clockid_t)((~(unsigned)tid << 3) | 6), &ts) != 0)
			continue;
		/* Same-named threads (several lcores) add up. */
		int i = 0;
		while (i < t->n && strcmp(t->name[i], name) != 0)
			i++;
		if (i == t->n) {
			t->sleeps[t->n] = 0;
			t->ticks[t->n] = t->kernel_ticks[t->n] = 0;
			t->sec[t->n++] = 0;
		}
		t->sec[i] += (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		t->sleeps[i] += thread_sleeps(tid);
		thread_ticks(tid, &t->ticks[i], &t->kernel_ticks[i]);
	}
	if (d)
		closedir(d);
}

/* "name us, ..." of what each thread spent from a to b, per op. */
static void thread_cpu_format(const struct thread_cpu *a, const struct thread_cpu *b, uint64_t ops,
			      char *out, size_t size)
{
	size_t off = 0;
	out[0] = 0;
	for (int i = 0; i < b->n && off < size; i++) {
		double before = 0, slept_before = 0, ticks_before = 0, kernel_before = 0;
		for (int j = 0; j < a->n; j++)
			if (strcmp(a->name[j], b->name[i]) == 0) {
				before = a->sec[j];
				slept_before = a->sleeps[j];
				ticks_before = a->ticks[j];
				kernel_before = a->kernel_ticks[j];
			}
		double us = (b->sec[i] - before) * 1e6 / (double)ops,
		       slept = b->sleeps[i] - slept_before, ticks = b->ticks[i] - ticks_before;
		if (us < 0.005)
			continue;
		char kernel[32] = "";
		if (ticks >= 10) /* 10 ms ticks: fewer say nothing */
			snprintf(kernel, sizeof(kernel), ", %.0f%% kernel",
				 100 * (b->kernel_ticks[i] - kernel_before) / ticks);
		off += (size_t)snprintf(out + off, size - off, "%s%s %.2f (%.1f sleeps%s)",
					off ? ", " : "", b->name[i], us, slept * 1000 / (double)ops,
					kernel);
	}
}

static double self_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void redis_cmd(const char *cmd)
{
	redisContext *c = redisConnect("127.0.0.1", redis_port);
	if (c && !c->err) {
		redisReply *r = redisCommand(c, cmd);
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
}

/* Run a redis-benchmark command line (-q --csv) and return the requests per
 * second of its result row (the one whose test name starts with test), or
 * 0; the server is FLUSHALLed after. */
static double run_redis_benchmark(const char *cmd, const char *test)
{
	char *line = NULL;
	size_t cap = 0, tl = strlen(test);
	double rps = 0;
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	/* "TEST","RPS",...: a custom command is its own (long) test name */
	while (getline(&line, &cap, p) > 0) {
		if (line[0] != '"' || strncmp(line + 1, test, tl) != 0)
			continue;
		const char *q = strstr(line, "\",\"");
		if (q)
			rps = atof(q + 3);
	}
	free(line);
	pclose(p);
	redis_cmd("FLUSHALL");
	return rps;
}

/* redis-benchmark -P 64 -t set [extra]: its requests per second, or 0. */
static double redis_benchmark(unsigned n, const char *extra)
{
	char cmd[320];
	snprintf(cmd, sizeof(cmd),
		 "redis-benchmark -h 127.0.0.1 -p %d -P 64 -t set -n %u %s -q --csv 2>/dev/null",
		 redis_port, n, extra);
	return run_redis_benchmark(cmd, "SET\"");
}

/* The ceiling for akmad's own write shape: the replication thread writes a
 * run of new contexts as one MSET, so redis-benchmark sends MSETs of 64 new
 * keys with 125-octet values (a record's size), 4 pipelined a connection.
 * Returns keys written a second, or 0. */
#define MSET_KEYS 64
static double redis_benchmark_mset(unsigned keys)
{
	char value[126], cmd[MSET_KEYS * 160 + 256];
	memset(value, 'v', 125);
	value[125] = 0;
	int off =
		snprintf(cmd, sizeof(cmd),
			 "redis-benchmark -h 127.0.0.1 -p %d -P 4 -r 100000000 -n %u -q --csv MSET",
			 redis_port, keys / MSET_KEYS);
	for (int i = 0; i < MSET_KEYS; i++)
		off += snprintf(cmd + off, sizeof(cmd) - (size_t)off, " akma:bench:__rand_int__ %s",
				value);
	snprintf(cmd + off, sizeof(cmd) - (size_t)off, " 2>/dev/null");
	return run_redis_benchmark(cmd, "MSET ") * MSET_KEYS;
}

/* The MSET ceiling's concurrency is redis-benchmark's: 50 connections x 4
 * pipelined MSETs x 64 keys = 12 800 keys in flight. A sync registration is
 * answered only once Redis has it, so with 512 in flight its rate is
 * 512 / round trip (Little's law), a latency; the rate compared with that
 * ceiling is taken as deep as the pool allows too. At the ceiling's own
 * 12 800 the queued requests outgrew the caches: akmad's CPU per sync
 * registration 1.11-1.88 us against 0.83-1.36 at 4096, the rate no
 * higher (3 runs each, 2026-12-03). */
#define MAX_INFLIGHT 4096u
#define DEEP_INFLIGHT MAX_INFLIGHT

/* Registration i, formatted by hand: two snprintf()s a registration were
 * the load's own cost, about a third of the producer thread's CPU
 * (callgrind: 1 800 of its instructions a registration), charged to akmad
 * as "producer" in the CPU figures. */
static void make_reg(struct akma_req *r, uint64_t i)
{
	static const char akid_tail[] = ".bench@akma.5gc.mnc01.mcc001.3gppnetwork.org";
	static const char supi_head[] = "imsi-00101";
	memset(r, 0, offsetof(struct akma_req, data));
	r->type = AKMA_REQ_REGISTER;
	r->ueid_type = 1;
	char *akid = (char *)akma_req_akid(r);
	char *end = akma_put_decimal(akid, i);
	memcpy(end, akid_tail, sizeof(akid_tail) - 1);
	r->akid_len = (uint8_t)(end - akid + (ptrdiff_t)sizeof(akid_tail) - 1);
	/* the SUPI's 10 digits, zero-padded as %010llu would */
	char *supi = (char *)akma_req_ueid(r);
	memcpy(supi, supi_head, sizeof(supi_head) - 1);
	uint64_t v = i % 10000000000ull;
	for (int d = 9; d >= 0; d--, v /= 10)
		supi[sizeof(supi_head) - 1 + (size_t)d] = (char)('0' + v % 10);
	r->ueid_len = (uint16_t)(sizeof(supi_head) - 1 + 10);
	for (int b = 0; b < 32; b++)
		r->kakma[b] = (uint8_t)(i * 131 + (uint64_t)b * 7);
}

struct reg_result {
	double redis_cpu_us;    /* redis-server CPU per registration */
	double self_cpu_us;     /* akma-bench CPU (all threads) per registration */
	double per_sec;         /* acknowledged registrations a second */
	double drained_per_sec; /* async: until Redis had them all */
	uint64_t ok, refused;
	char threads[512]; /* CPU per registration by thread, us, sleeps, kernel share */
	double batch;      /* writes per batch sent to Redis */
};

static void run_registrations(enum akma_repl_mode mode, uint64_t m, unsigned inflight,
			      struct reg_result *res)
{
	static const uint8_t kek[32] = {1};
	struct akma_engine_params p = {.capacity = (uint32_t)(m + 1024),
				       .kaf_life_ms = 3600000,
				       .n_requests = 65536,
				       .repl = mode,
				       /* akmad's defaults (engine.idle_spin, idle_sleep) */
				       .idle_spin_us = 5,
				       .idle_sleep_us = 1000};
	int err;
	char why[512];
	memset(res, 0, sizeof(*res));
	struct akma_engine *e = akma_engine_create(&p, &err);
	if (!e) {
		fprintf(stderr, "akma-bench replication: engine: %s\n", akma_strerror(err));
		exit(1);
	}
	unsigned prod = (unsigned)akma_engine_producer(e);
	struct akma_replicator *rep = NULL;
	redis_cmd("FLUSHALL");
	if (mode != AKMA_REPL_OFF) {
		struct akma_redis_params rp = {.address = redis_addr};
		struct akma_redis *r = akma_redis_open(&rp, kek, why, sizeof(why));
		struct akma_replicator_params pp = {e, r, "akma-bench", 3000, 0, 0, 0, 0, 0};
		rep = r ? akma_replicator_start(&pp, why, sizeof(why)) : NULL;
		if (!rep) {
			fprintf(stderr, "akma-bench replication: %s\n", why);
			exit(1);
		}
	}
	akma_engine_start(e);
	urcu_qsbr_thread_offline();
	while (rep && !akma_replicator_is_primary(rep)) /* serving: the lease renewed */
		akma_sleep_ms(1);

	static struct akma_req *queue[MAX_INFLIGHT], *out[256], *rej[64];
	unsigned q = 0, n_rej;
	uint64_t next = 0, outstanding = 0;
	struct thread_cpu tc0, tc1;
	thread_cpu_snapshot(&tc0);
	double rc0 = redis_cpu(), sc0 = self_cpu();
	uint64_t t0 = akma_mono_ns();
	while (res->ok < m) {
		while (q + outstanding < inflight && next < m) {
			if (akma_engine_req_alloc(e, &queue[q], 1) != 0)
				break;
			make_reg(queue[q++], next++);
		}
		unsigned k = 0;
		if (q) {
			k = akma_engine_submit(e, prod, queue, q > 64 ? 64 : q, rej, &n_rej);
			outstanding += k;
			unsigned sent = k + n_rej;
			memmove(queue, queue + sent, (q - sent) * sizeof(*queue));
			q -= sent;
			for (unsigned i = 0; i < n_rej; i++)
				queue[q++] = rej[i]; /* ring full: again */
		}
		unsigned got = akma_engine_poll(e, prod, out, 256);
		outstanding -= got;
		if (!got && (!q || !k))
			/* Everything in flight waits on Redis, or the ring to the worker
			 * is full: give the CPU to the worker, Redis and the replication
			 * thread until the first answer comes. Retrying a full ring at
			 * once cost this thread 0.32-0.65 us a sync registration at 4096
			 * in flight, on the core it shares with them, against 0.09-0.14
			 * (3 interleaved runs, 2026-12-03). */
			akma_engine_wait(e, prod, 1000);
		for (unsigned i = 0; i < got; i++) {
			if (out[i]->status == AKMA_ST_OK) {
				res->ok++;
				akma_engine_req_free(e, &out[i], 1);
			} else {
				/* Backlog full (async): the same registration again. */
				res->refused++;
				uint64_t id =
					strtoull((const char *)akma_req_akid(out[i]), NULL, 10);
				make_reg(out[i], id);
				queue[q++] = out[i];
			}
		}
	}
	uint64_t t1 = akma_mono_ns();
	res->per_sec = (double)res->ok / ((double)(t1 - t0) / 1e9);
	while (rep && akma_engine_repl_backlog(e))
		usleep(100);
	res->drained_per_sec = (double)res->ok / ((double)(akma_mono_ns() - t0) / 1e9);
	res->redis_cpu_us = (redis_cpu() - rc0) * 1e6 / (double)res->ok;
	res->self_cpu_us = (self_cpu() - sc0) * 1e6 / (double)res->ok;
	thread_cpu_snapshot(&tc1);
	thread_cpu_format(&tc0, &tc1, res->ok, res->threads, sizeof(res->threads));
	akma_engine_req_free(e, queue, q);
	if (rep) {
		struct akma_replicator_stats rs;
		akma_replicator_stats(rep, &rs);
		res->batch = rs.batches ? (double)rs.written / (double)rs.batches : 0;
	}
	akma_engine_stop(e);
	akma_replicator_stop(rep, 1000);
	urcu_qsbr_thread_online();
	akma_engine_free(e);
}

/* Fill Redis with n records through the sink's pipeline. Returns per second. */
static double fill_redis(struct akma_redis *r, uint64_t n)
{
	/* Zeroed: no GPSI. Left unset, its length made every record fail to
	 * encode, unseen: the recovery rows timed an empty Redis. */
	struct akma_repl_ctx c;
	memset(&c, 0, sizeof(c));
	char why[256];
	uint64_t t0 = akma_mono_ns(), now = akma_wall_ms();
	for (uint64_t i = 0; i < n; i++) {
		struct akma_req q;
		make_reg(&q, i);
		c.akid_len = q.akid_len;
		memcpy(c.akid, akma_req_akid(&q), q.akid_len);
		c.ueid_len = q.ueid_len;
		memcpy(c.ueid, akma_req_ueid(&q), q.ueid_len);
		c.ueid_type = 1;
		memcpy(c.kakma, q.kakma, 32);
		c.created_ms = now;
		c.eol_ms = 0;
		int rc = akma_redis_put(r, &c, now);
		if (rc != 0) {
			fprintf(stderr, "akma-bench replication: record %llu: %s\n",
				(unsigned long long)i, akma_strerror(rc));
			exit(1);
		}
		if (i % 1000 == 999 || i + 1 == n) {
			if (akma_redis_flush(r, why, sizeof(why)) != 0) {
				fprintf(stderr, "akma-bench replication: %s\n", why);
				exit(1);
			}
			bench_progress("filling Redis", i + 1, n);
		}
	}
	return (double)n / ((double)(akma_mono_ns() - t0) / 1e9);
}

/* The bare read: SCAN pages and MGET their values, nothing decoded. */
static double bare_read(uint64_t *keys)
{
	redisContext *c = redisConnect("127.0.0.1", redis_port);
	char cursor[32] = "0";
	uint64_t t0 = akma_mono_ns();
	static const char *argv[1 + 1000];
	static size_t len[1 + 1000];
	*keys = 0;
	do {
		redisReply *page = redisCommand(c, "SCAN %s MATCH akma:ue:* COUNT 1000", cursor);
		if (!page || page->type != REDIS_REPLY_ARRAY)
			break;
		snprintf(cursor, sizeof(cursor), "%s", page->element[0]->str);
		redisReply *k = page->element[1];
		/* A page may hold more than COUNT keys: MGET them 1000 at a time. */
		for (size_t base = 0; base < k->elements; base += 1000) {
			size_t n = k->elements - base > 1000 ? 1000 : k->elements - base;
			argv[0] = "MGET";
			len[0] = 4;
			for (size_t i = 0; i < n; i++) {
				argv[1 + i] = k->element[base + i]->str;
				len[1 + i] = k->element[base + i]->len;
			}
			redisReply *v = redisCommandArgv(c, (int)(1 + n), argv, len);
			if (v) {
				*keys += v->elements;
				freeReplyObject(v);
			}
		}
		freeReplyObject(page);
	} while (strcmp(cursor, "0") != 0);
	double rate = (double)*keys / ((double)(akma_mono_ns() - t0) / 1e9);
	redisFree(c);
	return rate;
}

static void run_recovery(uint64_t n, int csv)
{
	static const uint8_t kek[32] = {1};
	char why[256];
	struct akma_redis_params rp = {.address = redis_addr};
	struct akma_redis *r = akma_redis_open(&rp, kek, why, sizeof(why));
	if (!r) {
		fprintf(stderr, "akma-bench replication: %s\n", why);
		exit(1);
	}
	redis_cmd("FLUSHALL");
	double fill = fill_redis(r, n);
	const char *pfx = csv ? "# " : "";
	printf("%srecovery   %llu records written to Redis at %.0f/s (pipelined SETs, 1000 a "
	       "flush)\n",
	       pfx, (unsigned long long)n, fill);
	uint64_t keys;
	double bare = bare_read(&keys);
	struct akma_ctx_store_params sp = {(uint32_t)n, 0};
	int err;
	struct akma_ctx_store *s = akma_ctx_store_create(&sp, &err);
	if (!s) {
		fprintf(stderr, "akma-bench replication: store: %s\n", akma_strerror(err));
		exit(1);
	}
	struct akma_redis_load_stats st;
	double rc0 = redis_cpu(), sc0 = self_cpu();
	akma_redis_load(r, s, akma_wall_ms, &st, NULL, NULL);
	double rc1 = redis_cpu(), sc1 = self_cpu();
	double rate = (double)st.loaded / st.seconds;
	bench_table_header(stdout, csv, "contexts/s");
	struct bench_row base = {
		"redis SCAN+MGET only (nothing decoded)", "-", 0, bare, 1e9 / bare, 1.0};
	struct bench_row load = {
		"akmad recovery (load into a fresh store)", "-", 0, rate, 1e9 / rate, rate / bare};
	bench_table_row(stdout, csv, &base);
	bench_table_row(stdout, csv, &load);
	printf("%srecovered  %llu of %llu keys in %.2f s (bare read saw %llu); CPU during the "
	       "load: "
	       "redis-server %.2f s, akma-bench %.2f s\n",
	       pfx, (unsigned long long)st.loaded, (unsigned long long)st.keys, st.seconds,
	       (unsigned long long)keys, rc1 - rc0, sc1 - sc0);
	urcu_qsbr_thread_offline();
	akma_ctx_store_free(s);
	urcu_qsbr_thread_online();
	akma_redis_close(r);
	redis_cmd("FLUSHALL");
}

/* --redis 127.0.0.1:PORT: only a Redis on this machine (it is flushed). */
static int parse_redis(const char *text, void *out)
{
	char host[64], why[256];
	uint16_t port;
	(void)out;
	if (akma_addr_split("--redis", text, host, sizeof(host), &port, why, sizeof(why)) != 0 ||
	    strcmp(host, "127.0.0.1") != 0)
		return -1;
	snprintf(redis_addr, sizeof(redis_addr), "%s", text);
	redis_port = port;
	return 0;
}

int bench_repl_main(int argc, char **argv)
{
	unsigned long long regs = 300000, contexts = 1000000, inflight = 512;
	uint64_t regs_opt = regs, contexts_opt = contexts;
	unsigned inflight_opt = (unsigned)inflight;
	int csv = 0, spread = 0;
	const struct bench_opt opts[] = {
		{"redis", BENCH_OPT_CUSTOM, NULL, 0, 0, parse_redis},
		{"registrations", BENCH_OPT_U64, &regs_opt, 0, 100000000, NULL},
		{"contexts", BENCH_OPT_U64, &contexts_opt, 0, 100000000, NULL},
		{"inflight", BENCH_OPT_UINT, &inflight_opt, 1, MAX_INFLIGHT, NULL},
		{"spread", BENCH_OPT_FLAG, &spread, 0, 0, NULL},
		{"csv", BENCH_OPT_FLAG, &csv, 0, 0, NULL},
		{NULL, 0, NULL, 0, 0, NULL},
	};
	int rc = bench_options("replication", usage_text, opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	regs = regs_opt;
	contexts = contexts_opt;
	inflight = inflight_opt;
	if (!redis_port && start_private_redis() != 0)
		return 1;
	/* redis-benchmark, started from the main lcore, inherits its core: the
	 * ceilings' client runs on core 0 alone and redis-server, started
	 * before the EAL, takes the other. With the worker lcore on core 1 the
	 * registrations' redis-server shared a core with it instead: sync at
	 * 4096 in flight 0.58-0.67x the MSET ceiling against 0.79-0.99x with
	 * every thread on core 0, async answered 0.60-0.97x the like-for-like
	 * ceiling against 1.30-1.56x; at 512 in flight, a latency, 0.48-0.57x
	 * against 0.50-0.55x (4 interleaved pairs, 2026-12-03). */
	if (bench_eal_init(spread ? "0-1" : "0@0,1@0", 512) != 0) {
		stop_private_redis();
		return 1;
	}
	urcu_qsbr_register_thread();
	bench_print_env(stdout, csv, (int)rte_lcore_id());
	const char *pfx = csv ? "# " : "";
	printf("%sredis      %s%s; %llu REGISTERs a mode, %llu in flight\n", pfx, redis_addr,
	       redis_pid > 0 ? " (private redis-server)" : "", regs, inflight);
	printf("%slayout     %s\n", pfx,
	       spread ? "the producer on core 0, the worker lcore on core 1 (--spread); "
			"redis-benchmark on core 0"
		      : "every akma-bench thread on core 0, as redis-benchmark; redis-server "
			"free to use the other");

	/* The literal ceiling overwrites one key with 3 octets; the like-for-like
	 * one writes a new key with a value the size of a record, as a
	 * registration does. */
	double ceiling[2], like[2], shape[2];
	const char *like_args = "-r 100000000 -d 125";
	if (!regs)
		goto recovery;
	ceiling[0] = redis_benchmark(1000000, "");
	like[0] = redis_benchmark(1000000, like_args);
	shape[0] = redis_benchmark_mset(1000000);
	struct reg_result off, async, sync, deep;
	run_registrations(AKMA_REPL_OFF, regs, (unsigned)inflight, &off);
	run_registrations(AKMA_REPL_ASYNC, regs, (unsigned)inflight, &async);
	run_registrations(AKMA_REPL_SYNC, regs, (unsigned)inflight, &sync);
	unsigned deep_inflight = inflight < DEEP_INFLIGHT ? DEEP_INFLIGHT : (unsigned)inflight;
	if (deep_inflight != inflight)
		run_registrations(AKMA_REPL_SYNC, regs, deep_inflight, &deep);
	else
		deep = sync;
	ceiling[1] = redis_benchmark(1000000, "");
	like[1] = redis_benchmark(1000000, like_args);
	shape[1] = redis_benchmark_mset(1000000);
	double ceil = (ceiling[0] + ceiling[1]) / 2, lk = (like[0] + like[1]) / 2;
	double sh = (shape[0] + shape[1]) / 2;
	printf("%sceiling    redis-benchmark -P 64 -t set: %.0f and %.0f SET/s (before and after); "
	       "with %s (new keys, record-sized values): %.0f and %.0f; MSET of %d new keys of "
	       "125 octets (akmad's write shape): %.0f and %.0f keys/s\n",
	       pfx, ceiling[0], ceiling[1], like_args, like[0], like[1], MSET_KEYS, shape[0],
	       shape[1]);
	printf("%sratios     sync / like-for-like ceiling: %.2f; async answered / like-for-like: "
	       "%.2f; "
	       "sync / MSET-shape ceiling: %.2f, with %u in flight %.2f\n",
	       pfx, sync.per_sec / lk, async.per_sec / lk, sync.per_sec / sh, deep_inflight,
	       deep.per_sec / sh);
	char deep_label[64];
	snprintf(deep_label, sizeof(deep_label), "REGISTER, sync, %u in flight", deep_inflight);
	bench_table_header(stdout, csv, "registrations/s");
	struct bench_row rows[] = {
		{"redis-benchmark -P 64 -t set (mean)", "-", 0, ceil, 1e9 / ceil, 1.0},
		{"redis-benchmark ... -r 1e8 -d 125 (mean)", "-", 0, lk, 1e9 / lk, lk / ceil},
		{"redis-benchmark MSET x64 new keys (mean)", "-", 0, sh, 1e9 / sh, sh / ceil},
		{"REGISTER, replication off", "-", 0, off.per_sec, 1e9 / off.per_sec,
		 off.per_sec / ceil},
		{"REGISTER, async (answered)", "-", 0, async.per_sec, 1e9 / async.per_sec,
		 async.per_sec / ceil},
		{"REGISTER, async (all in Redis)", "-", 0, async.drained_per_sec,
		 1e9 / async.drained_per_sec, async.drained_per_sec / ceil},
		{"REGISTER, sync (answered = in Redis)", "-", 0, sync.per_sec, 1e9 / sync.per_sec,
		 sync.per_sec / ceil},
		{deep_label, "-", 0, deep.per_sec, 1e9 / deep.per_sec, deep.per_sec / ceil},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		bench_table_row(stdout, csv, &rows[i]);
	printf("%srefused    async %llu, sync %llu (backlog full; sent again)\n", pfx,
	       (unsigned long long)async.refused, (unsigned long long)sync.refused);
	printf("%scpu        per registration, redis-server / akma-bench (all threads): off %.2f / "
	       "%.2f us, async %.2f / %.2f us, sync %.2f / %.2f us, sync with %u in flight "
	       "%.2f / %.2f us\n",
	       pfx, off.redis_cpu_us, off.self_cpu_us, async.redis_cpu_us, async.self_cpu_us,
	       sync.redis_cpu_us, sync.self_cpu_us, deep_inflight, deep.redis_cpu_us,
	       deep.self_cpu_us);
	printf("%sthreads    us per registration (sleeps per 1000, share of that CPU in the "
	       "kernel): off: %s; async: %s; sync: %s; "
	       "sync with %u in flight: %s\n",
	       pfx, off.threads, async.threads, sync.threads, deep_inflight, deep.threads);
	printf("%sbatches    writes per batch to Redis: async %.1f, sync %.1f, sync with %u in "
	       "flight %.1f\n",
	       pfx, async.batch, sync.batch, deep_inflight, deep.batch);
recovery:
	if (contexts)
		run_recovery(contexts, csv);
	stop_private_redis();
	return 0;
}
