/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akmactl's client commands: register, get, remove and stats against a
 * running akmad over the wire protocol. The server address and the PSK come
 * from akmad's configuration file (the first wire.listen address, and
 * wire.psk_file relative to the file), unless --server and --psk-file say
 * otherwise. One request per run, one datagram each way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "akmactl.h"
#include "akmad_conf.h"
#include "err.h"
#include "hex.h"
#include "kdf.h"
#include "secret.h"
#include "wire.h"
#include "clock.h"

enum { CTL_OK = 0, CTL_NOT_FOUND = 1, CTL_BAD_INPUT = 2, CTL_REFUSED = 3, CTL_UNREACHABLE = 4 };

struct client_args {
	const char *config, *server, *psk_file, *supi, *gpsi, *akid, *kakma, *af_fqdn, *ua_id,
		*af_id;
	int anon, want_gpsi, json;
	double timeout;
};

static int say(int status, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "akmactl: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return status;
}

/* A connected datagram socket to "udp:HOST:PORT", "udp:[V6]:PORT" or "unix:PATH". */
static int connect_to(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[300];

	if (akma_addr_parse("--server", addr, AKMA_ADDR_WIRE, &ss, &len, why, sizeof(why)) != 0) {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && ss.ss_family == AF_UNIX) {
		struct sockaddr_un any = {.sun_family =
						  AF_UNIX}; /* autobind: the server can answer */
		if (bind(fd, (struct sockaddr *)&any, sizeof(sa_family_t)) != 0) {
			close(fd);
			return -1;
		}
	}
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct session {
	int fd;
	struct akma_wire_key *key;
	struct akma_wire_replay *replay;
	struct akma_wire_sender sender;
	char server[300];
};

static void session_close(struct session *ss)
{
	if (ss->fd >= 0)
		close(ss->fd);
	akma_wire_key_free(ss->key);
	akma_wire_replay_free(ss->replay);
}

/* Server and PSK from the options or akmad's configuration; a connected
 * socket. Returns an exit status (CTL_OK when ready). */
static int session_open(const struct client_args *a, struct session *ss)
{
	struct akma_conf conf;
	char err[600], psk_path[600];
	uint8_t psk[32];
	int rc;

	memset(ss, 0, sizeof(*ss));
	ss->fd = -1;
	akma_conf_defaults(&akmad_conf_table, &conf);
	if (!a->server || !a->psk_file) {
		if (akma_conf_load(&akmad_conf_table, &conf, a->config, err, sizeof(err)) != 0)
			return say(CTL_BAD_INPUT, "%s%s", err, "");
	}
	if (a->server) {
		snprintf(ss->server, sizeof(ss->server), "%s", a->server);
	} else {
		snprintf(ss->server, sizeof(ss->server), "%s", conf.listen);
		ss->server[strcspn(ss->server, ",")] = '\0';
	}
	if (a->psk_file) {
		snprintf(psk_path, sizeof(psk_path), "%s", a->psk_file);
	} else {
		akma_conf_file_path(a->config, conf.psk_file, psk_path, sizeof(psk_path));
	}
	struct sockaddr_storage probe;
	socklen_t probe_len;
	if (akma_addr_parse("--server", ss->server, AKMA_ADDR_WIRE, &probe, &probe_len, err,
			    sizeof(err)) != 0)
		return say(CTL_BAD_INPUT, "%s%s", err, "");
	if (akma_psk_read(psk_path, 0, psk, err, sizeof(err)) != 0)
		return say(CTL_BAD_INPUT, "%s%s", err, "");
	ss->key = akma_wire_key_create(psk, &rc);
	explicit_bzero(psk, sizeof(psk));
	ss->replay = akma_wire_replay_create(16, 30000, &rc);
	ss->fd = connect_to(ss->server);
	if (!ss->key || !ss->replay || akma_wire_sender_init(&ss->sender) != 0 || ss->fd < 0) {
		int fd_failed = ss->fd < 0, saved = errno;
		session_close(ss);
		if (fd_failed)
			return say(CTL_UNREACHABLE, "%s: cannot reach: %s", ss->server,
				   strerror(saved));
		return say(CTL_UNREACHABLE, "cannot set up the wire protocol%s%s", "", "");
	}
	return CTL_OK;
}

/* Send one request, wait for its answer; fills *out. Returns an exit status. */
static int exchange(const struct client_args *a, struct akma_req *req, int stats,
		    uint8_t *answer_body, size_t *answer_len, struct akma_wire_msg *answer)
{
	struct session ses;
	int rc = session_open(a, &ses);
	if (rc != CTL_OK)
		return rc;
	struct akma_wire_key *key = ses.key;
	struct akma_wire_replay *replay = ses.replay;
	struct akma_wire_sender sender = ses.sender;
	int fd = ses.fd;
	char *server = ses.server;
	static uint8_t d[AKMA_WIRE_MAX_DGRAM], msg[AKMA_WIRE_MAX_DGRAM];
	uint64_t id;
	getrandom(&id, sizeof(id), 0);
	req->client_id = id;
	int n;
	if (stats)
		n = akma_wire_encode_stats_request(id, msg, sizeof(msg) - 64);
	else
		n = akma_wire_encode_request(req, msg, sizeof(msg) - 64);
	explicit_bzero(req->kakma, sizeof(req->kakma));
	int status = CTL_UNREACHABLE;
	/* The first datagram does not know the server's epoch: its answer is
	 * EPOCH, carrying it, and the request goes once more under it. */
	for (int attempt = 0; attempt < 2; attempt++) {
		memcpy(d + AKMA_WIRE_HDR_LEN, msg, (size_t)n);
		int len = akma_wire_seal(key, &sender, d, (size_t)n, akma_wall_ms(), AKMA_WIRE_GCM);
		if (send(fd, d, (size_t)len, 0) != len) {
			status = say(CTL_UNREACHABLE, "%s: %s", server, strerror(errno));
			goto out;
		}
		explicit_bzero(d, (size_t)len);
		uint64_t deadline = akma_wall_ms() + (uint64_t)(a->timeout * 1000);
		for (;;) {
			uint64_t now = akma_wall_ms();
			if (now >= deadline) {
				status = say(CTL_UNREACHABLE, "%s: no answer within %s s", server,
					     a->timeout == 2 ? "2" : "the timeout");
				goto out;
			}
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, (int)(deadline - now)) <= 0)
				continue;
			ssize_t got = recv(fd, d, sizeof(d), 0);
			if (got <= 0) {
				status = say(CTL_UNREACHABLE, "%s: %s", server,
					     got < 0 ? strerror(errno) : "closed");
				goto out;
			}
			struct akma_wire_hdr h;
			const uint8_t *body;
			size_t blen, off = 0;
			rc = akma_wire_open(key, replay, d, (size_t)got, akma_wall_ms(), 0, &h,
					    &body, &blen);
			if (rc == -AKMA_E_WIRE_PLAIN && blen == 0) {
				/* a plain answer is only the server's version error */
				status = say(CTL_REFUSED,
					     "%s: the server does not speak wire protocol %s",
					     server, AKMA_WIRE_VERSION_TEXT);
				goto out;
			}
			if (rc || !h.response) /* not for us, or forged: keep waiting */
				continue;
			akma_wire_learn_epoch(&sender, &h);
			struct akma_wire_msg m;
			int epoch = 0;
			while (akma_wire_next(body, blen, &off, &m) == 1) {
				if (m.id != id)
					continue;
				if (m.payload_len >= 1 && m.payload[0] == AKMA_WIRE_ST_EPOCH) {
					epoch = 1;
					break;
				}
				memcpy(answer_body, body, blen);
				*answer_len = blen;
				*answer = m;
				answer->payload = answer_body + (m.payload - body);
				explicit_bzero(d, sizeof(d));
				status = CTL_OK;
				goto out;
			}
			if (epoch)
				break; /* send again, under the epoch just learned */
		}
	}
	status = say(CTL_REFUSED, "%s: the server kept refusing the epoch%s", server, "");
out:
	explicit_bzero(msg, sizeof(msg));
	(void)sender;
	session_close(&ses);
	return status;
}

/* akmactl load: register contexts first..first+n-1 (SUPI imsi-00101 and ten
 * digits, A-KID in akmad's convention from a random A-TID, random K_AKMA),
 * 64 to a datagram, WINDOW datagrams in flight; refused OVERLOAD ones and
 * unanswered ones are sent again. */
#define LOAD_PER_DGRAM AKMA_WIRE_MAX_MSGS
#define LOAD_WINDOW 32
static int load(const struct client_args *a, uint64_t first, uint64_t n)
{
	struct session ss;
	int rc = session_open(a, &ss);
	if (rc != CTL_OK)
		return rc;
	uint8_t *state = calloc(n, 1); /* 0 to send, 1 sent, 2 stored, 3 refused */
	uint64_t *queue = malloc(n * sizeof(*queue)), head = 0, tail = 0;
	static uint8_t d[AKMA_WIRE_MAX_DGRAM];
	static struct akma_req r;
	if (!state || !queue) {
		session_close(&ss);
		return say(CTL_REFUSED, "out of memory for %s contexts%s", "that many", "");
	}
	for (uint64_t i = 0; i < n; i++)
		queue[tail++ % n] = i;
	uint64_t stored = 0, refused = 0, in_flight = 0, t0 = akma_wall_ms(), last_answer = t0,
		 shown = 0;
	int tty = isatty(2), status = CTL_OK, resent = 0;
	uint64_t rng;
	getrandom(&rng, sizeof(rng), 0);
	while (stored + refused < n) {
		while (in_flight < LOAD_WINDOW && head < tail) {
			size_t off = 0;
			unsigned k = 0;
			for (; k < LOAD_PER_DGRAM && head < tail; k++) {
				uint64_t i = queue[head++ % n];
				uint8_t atid[32];
				char akid[AKMA_AKID_MAX + 1], rid[8];
				for (int b = 0; b < 32; b++) {
					rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
					atid[b] = (uint8_t)(rng >> 56);
				}
				snprintf(rid, sizeof(rid), "%u", (unsigned)((first + i) % 10000));
				memset(&r, 0, sizeof(r));
				r.type = AKMA_REQ_REGISTER;
				r.client_id = i;
				r.ueid_type = AKMA_WIRE_SUPI;
				/* packed identities: the A-KID's length first, then the SUPI after it */
				r.akid_len = (uint8_t)akma_akid_compose(atid, rid, "001", "01",
									akid, sizeof(akid));
				memcpy(akma_req_akid(&r), akid, r.akid_len);
				r.ueid_len = (uint16_t)snprintf((char *)akma_req_ueid(&r), 32,
								"imsi-00101%010llu",
								(unsigned long long)(first + i));
				for (int b = 0; b < 32; b++) {
					rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
					r.kakma[b] = (uint8_t)(rng >> 56);
				}
				off += (size_t)akma_wire_encode_request(
					&r, d + AKMA_WIRE_HDR_LEN + off,
					sizeof(d) - AKMA_WIRE_HDR_LEN - AKMA_WIRE_TAG_LEN - off);
				state[i] = 1;
			}
			int len = akma_wire_seal(ss.key, &ss.sender, d, off, akma_wall_ms(),
						 AKMA_WIRE_GCM);
			if (send(ss.fd, d, (size_t)len, 0) != len) {
				status = say(CTL_UNREACHABLE, "%s: %s", ss.server, strerror(errno));
				goto out;
			}
			in_flight++;
		}
		struct pollfd p = {.fd = ss.fd, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0) {
			uint64_t quiet = akma_wall_ms() - last_answer;
			if (quiet > (uint64_t)(a->timeout * 1000)) {
				/* Nothing answered for a whole --timeout: give up, as get
				 * and stats do (exit 4). */
				status = say(CTL_UNREACHABLE, "%s: no answer within the timeout%s",
					     ss.server, "");
				goto out;
			}
			if (!resent && quiet > (uint64_t)(a->timeout * 500)) {
				/* Half of it: what was lost on the way goes once more. */
				for (uint64_t i = 0; i < n; i++)
					if (state[i] == 1) {
						state[i] = 0;
						queue[tail++ % n] = i;
					}
				in_flight = 0;
				resent = 1;
			}
			continue;
		}
		ssize_t got = recv(ss.fd, d, sizeof(d), 0);
		struct akma_wire_hdr h;
		const uint8_t *body;
		size_t blen, off = 0;
		if (got <= 0 ||
		    akma_wire_open(ss.key, ss.replay, d, (size_t)got, akma_wall_ms(), 0, &h, &body,
				   &blen) != 0 ||
		    !h.response)
			continue;
		akma_wire_learn_epoch(&ss.sender, &h);
		last_answer = akma_wall_ms();
		resent = 0;
		if (in_flight)
			in_flight--;
		struct akma_wire_msg m;
		while (akma_wire_next(body, blen, &off, &m) == 1) {
			static struct akma_req resp;
			if (akma_wire_decode_response(&m, &resp) != 0 || m.id >= n ||
			    state[m.id] != 1)
				continue;
			if (resp.status == AKMA_ST_OK) {
				state[m.id] = 2;
				stored++;
			} else if (resp.status == AKMA_ST_OVERLOAD ||
				   resp.status == AKMA_WIRE_ST_EPOCH) {
				state[m.id] = 0; /* try again (under the epoch just learned) */
				queue[tail++ % n] = m.id;
			} else {
				state[m.id] = 3;
				refused++;
			}
		}
		if (tty && (stored + refused) * 100 / n != shown) {
			shown = (stored + refused) * 100 / n;
			double s = (double)(akma_wall_ms() - t0) / 1000;
			fprintf(stderr, "\rloading: %3llu%% %llu of %llu, %.0f/s   ",
				(unsigned long long)shown, (unsigned long long)stored,
				(unsigned long long)n, s > 0 ? (double)stored / s : 0);
		}
	}
out:
	if (tty)
		fputc('\n', stderr);
	double secs = (double)(akma_wall_ms() - t0) / 1000;
	printf("loaded %llu contexts in %.2f s: %.0f registrations/s", (unsigned long long)stored,
	       secs, secs > 0 ? (double)stored / secs : 0);
	if (refused)
		printf(" (%llu refused: store full or bad field)", (unsigned long long)refused);
	putchar('\n');
	if (status == CTL_OK && refused)
		status = CTL_REFUSED;
	explicit_bzero(&r, sizeof(r));
	explicit_bzero(d, sizeof(d));
	free(state);
	free(queue);
	session_close(&ss);
	return status;
}

static int status_exit(const struct akma_req *r)
{
	static const char *const field[] = {"",     "supi", "aKId",  "kAkma",
					    "afId", "type", "flags", "length"};
	switch (r->status) {
	case AKMA_ST_OK:
		return CTL_OK;
	case AKMA_ST_NOT_FOUND:
		fprintf(stderr, "akmactl: not found\n");
		return CTL_NOT_FOUND;
	case AKMA_ST_BAD_FIELD:
		fprintf(stderr, "akmactl: the server refused field %s\n",
			r->bad_field < 8 ? field[r->bad_field] : "?");
		return CTL_BAD_INPUT;
	case AKMA_ST_STORE_FULL:
		fprintf(stderr, "akmactl: refused: the context store is full\n");
		return CTL_REFUSED;
	case AKMA_ST_OVERLOAD:
		fprintf(stderr, "akmactl: refused: the server is overloaded, try again\n");
		return CTL_REFUSED;
	case AKMA_ST_NOT_PRIMARY:
		fprintf(stderr,
			"akmactl: refused: this akmad does not hold the lease (not primary); "
			"ask its group's other address\n");
		return CTL_REFUSED;
	case AKMA_ST_RID_NOT_SERVED:
		fprintf(stderr, "akmactl: refused: this akmad does not serve the A-KID's routing "
				"indicator (engine.routing_indicators)\n");
		return CTL_BAD_INPUT;
	default:
		fprintf(stderr, "akmactl: refused: server status %u\n", r->status);
		return CTL_REFUSED;
	}
}

static void rfc3339(uint64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int akmactl_client(const char *cmd, int argc, char **argv, const char *default_config)
{
	enum {
		O_CONFIG = 256,
		O_SERVER,
		O_PSK,
		O_SUPI,
		O_AKID,
		O_KAKMA,
		O_FQDN,
		O_UA,
		O_AFID,
		O_ANON,
		O_JSON,
		O_TIMEOUT,
		O_CONTEXTS,
		O_FIRST,
		O_GPSI,
		O_WANT_GPSI
	};
	static const struct option options[] = {
		{"config", required_argument, NULL, O_CONFIG},
		{"server", required_argument, NULL, O_SERVER},
		{"psk-file", required_argument, NULL, O_PSK},
		{"supi", required_argument, NULL, O_SUPI},
		{"akid", required_argument, NULL, O_AKID},
		{"kakma", required_argument, NULL, O_KAKMA},
		{"af-fqdn", required_argument, NULL, O_FQDN},
		{"ua-id", required_argument, NULL, O_UA},
		{"af-id", required_argument, NULL, O_AFID},
		{"anon", no_argument, NULL, O_ANON},
		{"json", no_argument, NULL, O_JSON},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"contexts", required_argument, NULL, O_CONTEXTS},
		{"first", required_argument, NULL, O_FIRST},
		{"gpsi", required_argument, NULL, O_GPSI},
		{"want-gpsi", no_argument, NULL, O_WANT_GPSI},
		{NULL, 0, NULL, 0},
	};
	uint64_t contexts = 0, first = 0;
	struct client_args a = {.config = default_config, .timeout = 2};
	static struct akma_req req;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case O_CONFIG:
			a.config = optarg;
			break;
		case O_SERVER:
			a.server = optarg;
			break;
		case O_PSK:
			a.psk_file = optarg;
			break;
		case O_SUPI:
			a.supi = optarg;
			break;
		case O_AKID:
			a.akid = optarg;
			break;
		case O_KAKMA:
			a.kakma = optarg;
			break;
		case O_FQDN:
			a.af_fqdn = optarg;
			break;
		case O_UA:
			a.ua_id = optarg;
			break;
		case O_AFID:
			a.af_id = optarg;
			break;
		case O_ANON:
			a.anon = 1;
			break;
		case O_GPSI:
			a.gpsi = optarg;
			break;
		case O_WANT_GPSI:
			a.want_gpsi = 1;
			break;
		case O_JSON:
			a.json = 1;
			break;
		case O_CONTEXTS:
			contexts = strtoull(optarg, NULL, 10);
			if (contexts == 0 || contexts > 100000000)
				return say(CTL_BAD_INPUT, "--contexts: must be 1..100000000%s%s",
					   "", "");
			break;
		case O_FIRST:
			first = strtoull(optarg, NULL, 10);
			break;
		case O_TIMEOUT:
			a.timeout = atof(optarg);
			if (!(a.timeout > 0 && a.timeout <= 60))
				return say(CTL_BAD_INPUT, "--timeout: must be 0..60 seconds%s%s",
					   "", "");
			break;
		default:
			return say(CTL_BAD_INPUT, "%s: unknown option or missing value%s",
				   argv[optind - 1], "");
		}
	}
	if (optind < argc)
		return say(CTL_BAD_INPUT, "unexpected argument: %s%s", argv[optind], "");

	if (!strcmp(cmd, "load")) {
		if (!contexts)
			return say(CTL_BAD_INPUT, "missing option --contexts%s%s", "", "");
		return load(&a, first, contexts);
	}
	memset(&req, 0, sizeof(req));
	int stats = strcmp(cmd, "stats") == 0;
	struct akma_supi supi;
	char supi_text[AKMA_SUPI_MAX + 8];
	int rc;
	if (!strcmp(cmd, "register") || !strcmp(cmd, "remove")) {
		if (!a.supi)
			return say(CTL_BAD_INPUT, "missing option --supi%s%s", "", "");
		if ((rc = akma_supi_parse(a.supi, strlen(a.supi), &supi)) != 0)
			return say(CTL_BAD_INPUT, "--supi: %s (%s)", akma_strerror(rc),
				   akma_errname(rc));
		int sl = akma_supi_format(&supi, supi_text, sizeof(supi_text));
		req.ueid_len = (uint16_t)sl;
		req.ueid_type = AKMA_WIRE_SUPI;
	}
	if (!strcmp(cmd, "register") || !strcmp(cmd, "get")) {
		if (!a.akid)
			return say(CTL_BAD_INPUT, "missing option --akid%s%s", "", "");
		size_t al = strlen(a.akid);
		if (al == 0 || al > AKMA_AKID_MAX)
			return say(CTL_BAD_INPUT, "--akid: %s (%s)",
				   akma_strerror(-AKMA_E_AKID_LEN), "AKID_LEN");
		req.akid_len = (uint8_t)al;
		memcpy(akma_req_akid(&req), a.akid, al);
	}
	if (!strcmp(cmd, "register")) {
		req.type = AKMA_REQ_REGISTER;
		if (!a.kakma)
			return say(CTL_BAD_INPUT, "missing option --kakma%s%s", "", "");
		char line[256];
		const char *hex = a.kakma;
		if (!strcmp(hex, "-")) {
			if (!fgets(line, sizeof(line), stdin))
				line[0] = '\0';
			line[strcspn(line, "\r\n")] = '\0';
			hex = line;
		}
		rc = akma_hex_decode(hex, strlen(hex), req.kakma, 32, -AKMA_E_KEY_LENGTH);
		explicit_bzero(line, sizeof(line));
		if (rc)
			return say(CTL_BAD_INPUT, "--kakma: %s (%s)", akma_strerror(rc),
				   akma_errname(rc));
		memcpy(akma_req_ueid(&req), supi_text, req.ueid_len);
		if (a.gpsi) {
			size_t gl = strlen(a.gpsi);
			if (gl == 0 || gl > AKMA_GPSI_MAX)
				return say(CTL_BAD_INPUT, "--gpsi: 1 to 255 characters%s%s", "",
					   "");
			req.gpsi_len = (uint8_t)gl;
			memcpy(akma_req_gpsi(&req), a.gpsi, gl);
		}
	} else if (!strcmp(cmd, "remove")) {
		req.type = AKMA_REQ_REMOVE;
		memcpy(akma_req_ueid(&req), supi_text, req.ueid_len);
	} else if (!strcmp(cmd, "get")) {
		struct akma_af_id af;
		uint8_t ua[5];
		req.type = AKMA_REQ_GET_KAF;
		req.flags = (uint8_t)((a.anon ? AKMA_REQ_ANONYMOUS : 0) |
				      (a.want_gpsi ? AKMA_REQ_WANT_GPSI : 0));
		if (a.af_id) {
			if ((rc = akma_af_id_parse(a.af_id, strlen(a.af_id), NULL, &af)) != 0)
				return say(CTL_BAD_INPUT, "--af-id: %s (%s)", akma_strerror(rc),
					   akma_errname(rc));
		} else {
			if (!a.af_fqdn || !a.ua_id)
				return say(CTL_BAD_INPUT, "missing option %s%s",
					   !a.af_fqdn ? "--af-fqdn" : "--ua-id", "");
			if ((rc = akma_hex_decode(a.ua_id, strlen(a.ua_id), ua, 5,
						  -AKMA_E_UA_ID_LEN)) != 0)
				return say(CTL_BAD_INPUT, "--ua-id: %s (%s)", akma_strerror(rc),
					   akma_errname(rc));
			if ((rc = akma_af_id_set(&af, a.af_fqdn, strlen(a.af_fqdn), ua)) != 0)
				return say(CTL_BAD_INPUT, "--af-fqdn: %s (%s)", akma_strerror(rc),
					   akma_errname(rc));
		}
		req.af_id_len = (uint16_t)akma_af_id_octets(&af, akma_req_af_id(&req));
	} else if (!stats) {
		return say(CTL_BAD_INPUT, "unknown command %s%s", cmd, "");
	}

	static uint8_t body[AKMA_WIRE_MAX_DGRAM];
	size_t blen;
	struct akma_wire_msg m;
	int status = exchange(&a, &req, stats, body, &blen, &m);
	if (status != CTL_OK)
		return status;
	if (stats) {
		static struct akma_wire_stat items[AKMA_WIRE_STATS_MAX];
		uint8_t st;
		int count = akma_wire_decode_stats(&m, &st, items, AKMA_WIRE_STATS_MAX);
		if (count < 0)
			return say(CTL_REFUSED, "malformed stats answer from the server%s%s", "",
				   "");
		if (st != AKMA_ST_OK)
			return say(CTL_REFUSED, "stats refused%s%s", "", "");
		if (a.json)
			putchar('{');
		for (int i = 0; i < count; i++) {
			if (a.json)
				printf("%s\"%s\": %llu", i ? ", " : "", items[i].name,
				       (unsigned long long)items[i].value);
			else
				printf("%-16s %llu\n", items[i].name,
				       (unsigned long long)items[i].value);
		}
		if (a.json)
			puts("}");
		return CTL_OK;
	}
	static struct akma_req resp;
	if (akma_wire_decode_response(&m, &resp) != 0)
		return say(CTL_REFUSED, "malformed answer from the server%s%s", "", "");
	status = status_exit(&resp);
	if (status != CTL_OK || req.type != AKMA_REQ_GET_KAF) {
		if (status == CTL_OK && a.json)
			printf("{\"status\": \"ok\"}\n");
		return status;
	}
	char hex[65], when[32], ueid[AKMA_UEID_MAX + 1];
	akma_hex_encode(resp.kaf, 32, hex);
	explicit_bzero(resp.kaf, 32);
	rfc3339(resp.expiry_ms, when, sizeof(when));
	memcpy(ueid, resp.data, resp.ueid_len);
	ueid[resp.ueid_len] = '\0';
	for (char *q = ueid; *q; q++) /* never print control characters */
		if ((unsigned char)*q < 0x20 || *q == '"' || *q == '\\')
			*q = '?';
	if (a.json) {
		printf("{\"kaf\": \"%s\", \"expiry\": \"%s\"", hex, when);
		if (resp.ueid_len)
			printf(", \"%s\": \"%s\"",
			       resp.ueid_type == AKMA_WIRE_GPSI ? "gpsi" : "supi", ueid);
		puts("}");
	} else {
		printf("%s\nexpiry %s\n", hex, when);
		if (resp.ueid_len)
			printf("%s %s\n", resp.ueid_type == AKMA_WIRE_GPSI ? "gpsi" : "supi", ueid);
	}
	explicit_bzero(hex, sizeof(hex));
	return CTL_OK;
}
