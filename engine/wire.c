/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The wire protocol (engine/wire.md is the specification).
 *
 * Opening a datagram checks the cheap things first (length, magic, version,
 * mode, freshness), then the GCM tag, and only then touches the sender's
 * replay window, so a forged datagram can neither advance a window nor take
 * a table slot. The replay table is open addressing with linear probing; an
 * entry idle for longer than the freshness window may be reused for a new
 * sender, because every datagram it could still stop is refused by age.
 */
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "gcm.h"

struct akma_wire_key {
	struct akma_gcm_key gcm;
};

_Static_assert(AKMA_WIRE_TAG_LEN == AKMA_GCM_TAG_LEN, "the wire's tag is GCM's");

struct sender_state {
	uint64_t sender;
	uint64_t last_ms; /* 0: never used */
	uint64_t window;  /* bit i: top - i seen */
	uint32_t top;
};

struct akma_wire_replay {
	struct sender_state *slot;
	uint32_t mask;
	uint64_t window_ms;
};

#define MAX_PROBE 64

/* ---- octets ---------------------------------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* A writer that never runs past its buffer: every encoder writes through
 * one, and checks w.bad once at the end. */
struct writer {
	uint8_t *p;
	size_t left;
	int bad;
};

static uint8_t *w_take(struct writer *w, size_t n)
{
	if (w->bad || n > w->left) {
		w->bad = 1;
		return NULL;
	}
	uint8_t *at = w->p;
	w->p += n;
	w->left -= n;
	return at;
}

static void w8(struct writer *w, uint8_t v)
{
	uint8_t *p = w_take(w, 1);
	if (p)
		*p = v;
}

static void w16(struct writer *w, uint16_t v)
{
	uint8_t *p = w_take(w, 2);
	if (p)
		put16(p, v);
}

static void w64(struct writer *w, uint64_t v)
{
	uint8_t *p = w_take(w, 8);
	if (p)
		put64(p, v);
}

static void wbytes(struct writer *w, const void *src, size_t n)
{
	uint8_t *p = w_take(w, n);
	if (p && n)
		memcpy(p, src, n);
}

/* A message header (wire.md): type, flags, length, id. */
static void w_msg_header(struct writer *w, uint8_t type, uint8_t flags, size_t len, uint64_t id)
{
	if (len > 0xffff)
		w->bad = 1;
	w8(w, type);
	w8(w, flags);
	w16(w, (uint16_t)len);
	w64(w, id);
}

/* ---- keys and senders ---------------------------------------------------------- */

struct akma_wire_key *akma_wire_key_create(const uint8_t psk[AKMA_WIRE_PSK_LEN], int *err)
{
	struct akma_wire_key *k = calloc(1, sizeof(*k));
	int dummy;

	if (!err)
		err = &dummy;
	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	if ((*err = akma_gcm_init(&k->gcm, psk)) != 0) {
		free(k);
		return NULL;
	}
	return k;
}

void akma_wire_key_free(struct akma_wire_key *k)
{
	if (!k)
		return;
	akma_gcm_fini(&k->gcm);
	free(k);
}

int akma_wire_sender_init(struct akma_wire_sender *s)
{
	/* GRND_NONBLOCK: the contract is "never blocks", and at early boot a
	 * plain getrandom() waits for the pool; the caller hears -EAGAIN. */
	if (getrandom(&s->id, sizeof(s->id), GRND_NONBLOCK) != (ssize_t)sizeof(s->id))
		return errno ? -errno : -EIO;
	s->seq = 1;
	s->response = 0;
	s->epoch = 0;
	return 0;
}

/* ---- sealing ------------------------------------------------------------------------ */

static void write_header(uint8_t *h, uint8_t mode, const struct akma_wire_sender *s, uint64_t now)
{
	h[0] = 'A';
	h[1] = 'K';
	h[2] = AKMA_WIRE_VERSION;
	h[3] = (uint8_t)(mode | (s->response ? AKMA_WIRE_DIR_RESPONSE : 0));
	put64(h + 4, s->id);
	put32(h + 12, s->seq);
	put64(h + 16, now);
	put64(h + 24, s->epoch);
}

static void next_seq(struct akma_wire_sender *s)
{
	if (++s->seq == 0 && akma_wire_sender_init(s) != 0) {
		/* No randomness: derive a new id rather than ever reuse a nonce. */
		s->id = s->id * 0x9e3779b97f4a7c15ULL + 1;
		s->seq = 1;
	}
}

int akma_wire_seal(const struct akma_wire_key *k, struct akma_wire_sender *s, uint8_t *dgram,
		   size_t body_len, uint64_t now_ms, enum akma_wire_mode mode)
{
	size_t total =
		AKMA_WIRE_HDR_LEN + body_len + (mode == AKMA_WIRE_GCM ? AKMA_WIRE_TAG_LEN : 0);
	uint8_t *body = dgram + AKMA_WIRE_HDR_LEN;

	if (total > AKMA_WIRE_MAX_DGRAM)
		return -AKMA_E_WIRE_SIZE;
	write_header(dgram, (uint8_t)mode, s, now_ms);
	next_seq(s);
	if (mode == AKMA_WIRE_GCM) /* IV: sender id || sequence, octets 4..15 of the header */
		akma_gcm_seal(&k->gcm, dgram + 4, dgram, AKMA_WIRE_HDR_LEN, body, body, body_len,
			      body + body_len);
	return (int)total;
}

int akma_wire_version_error(struct akma_wire_sender *s, uint8_t *dgram, size_t cap, uint64_t now_ms)
{
	size_t mlen = AKMA_WIRE_MSG_HDR_LEN + 3;

	if (cap < AKMA_WIRE_HDR_LEN + mlen)
		return -AKMA_E_NOSPACE;
	write_header(dgram, AKMA_WIRE_PLAIN, s, now_ms);
	next_seq(s);
	struct writer w = {dgram + AKMA_WIRE_HDR_LEN, cap - AKMA_WIRE_HDR_LEN, 0};
	w_msg_header(&w, AKMA_WIRE_ERROR, 0, mlen, 0);
	w8(&w, AKMA_WIRE_ST_BAD_VERSION);
	w8(&w, AKMA_FIELD_NONE);
	w8(&w, AKMA_WIRE_VERSION); /* the version this side speaks */
	return (int)(AKMA_WIRE_HDR_LEN + mlen);
}

/* ---- replay ----------------------------------------------------------------------------- */

struct akma_wire_replay *akma_wire_replay_create(unsigned max_senders, uint64_t window_ms, int *err)
{
	struct akma_wire_replay *r = calloc(1, sizeof(*r));
	uint32_t size = 64;
	int dummy;

	if (!err)
		err = &dummy;
	if (!r || max_senders == 0 || max_senders > (1u << 24)) {
		free(r);
		*err = r ? -EINVAL : -ENOMEM;
		return NULL;
	}
	while (size < 2 * max_senders)
		size <<= 1;
	r->slot = calloc(size, sizeof(*r->slot));
	if (!r->slot) {
		free(r);
		*err = -ENOMEM;
		return NULL;
	}
	r->mask = size - 1;
	r->window_ms = window_ms;
	*err = 0;
	return r;
}

void akma_wire_replay_free(struct akma_wire_replay *r)
{
	if (!r)
		return;
	free(r->slot);
	free(r);
}

unsigned akma_wire_replay_senders(const struct akma_wire_replay *r, uint64_t now_ms)
{
	unsigned n = 0;
	for (uint64_t i = 0; i <= r->mask; i++) {
		uint64_t last = __atomic_load_n(&r->slot[i].last_ms, __ATOMIC_RELAXED);
		n += last && (last >= now_ms ||
			      now_ms - last <= __atomic_load_n(&r->window_ms, __ATOMIC_RELAXED));
	}
	return n;
}

void akma_wire_replay_set_window(struct akma_wire_replay *r, uint64_t window_ms)
{
	r->window_ms = window_ms;
}

/* Accept seq from sender or refuse it as a replay. Only authentic datagrams
 * get here. */
static int replay_check(struct akma_wire_replay *r, uint64_t sender, uint32_t seq, uint64_t now)
{
	uint64_t h = sender * 0x9e3779b97f4a7c15ULL;
	struct sender_state *free_slot = NULL;

	if (seq == 0)
		return -AKMA_E_WIRE_REPLAY;
	for (uint32_t i = 0; i < MAX_PROBE; i++) {
		struct sender_state *e = &r->slot[((uint32_t)(h >> 40) + i) & r->mask];
		if (e->last_ms && e->sender == sender) {
			if (seq > e->top) {
				uint32_t shift = seq - e->top;
				e->window = shift >= 64 ? 1 : (e->window << shift) | 1;
				e->top = seq;
			} else {
				uint32_t back = e->top - seq;
				if (back >= 64 || (e->window >> back) & 1)
					return -AKMA_E_WIRE_REPLAY;
				e->window |= 1ULL << back;
			}
			e->last_ms = now;
			return 0;
		}
		if (!free_slot && (!e->last_ms || e->last_ms + r->window_ms < now))
			free_slot = e;
		if (!e->last_ms)
			break; /* the chain ends here */
	}
	if (!free_slot)
		return -AKMA_E_WIRE_SENDERS;
	free_slot->sender = sender;
	free_slot->top = seq;
	free_slot->window = 1;
	free_slot->last_ms = now ? now : 1;
	return 0;
}

/* ---- opening --------------------------------------------------------------------------------- */

int akma_wire_open(const struct akma_wire_key *k, struct akma_wire_replay *r, uint8_t *dgram,
		   size_t len, uint64_t now_ms, int allow_plain, struct akma_wire_hdr *hdr,
		   const uint8_t **body, size_t *body_len)
{
	memset(hdr, 0, sizeof(*hdr));
	*body = NULL;
	*body_len = 0;
	if (len < 3)
		return -AKMA_E_WIRE_SHORT;
	if (dgram[0] != 'A' || dgram[1] != 'K')
		return -AKMA_E_WIRE_MAGIC;
	hdr->version = dgram[2];
	if (dgram[2] != AKMA_WIRE_VERSION)
		return -AKMA_E_WIRE_VERSION;
	if (len < AKMA_WIRE_HDR_LEN)
		return -AKMA_E_WIRE_SHORT;
	hdr->mode = dgram[3] & AKMA_WIRE_MODE_MASK;
	hdr->response = (dgram[3] & AKMA_WIRE_DIR_RESPONSE) != 0;
	hdr->sender = get64(dgram + 4);
	hdr->seq = get32(dgram + 12);
	hdr->time_ms = get64(dgram + 16);
	hdr->epoch = get64(dgram + 24);
	if (dgram[3] & ~(AKMA_WIRE_MODE_MASK | AKMA_WIRE_DIR_RESPONSE))
		return -AKMA_E_WIRE_MAGIC;
	if (hdr->mode == AKMA_WIRE_PLAIN) {
		if (!allow_plain)
			return -AKMA_E_WIRE_PLAIN;
		*body = dgram + AKMA_WIRE_HDR_LEN;
		*body_len = len - AKMA_WIRE_HDR_LEN;
		return 0;
	}
	if (hdr->mode != AKMA_WIRE_GCM)
		return -AKMA_E_WIRE_MAGIC;
	if (len < AKMA_WIRE_HDR_LEN + AKMA_WIRE_TAG_LEN)
		return -AKMA_E_WIRE_SHORT;
	uint64_t age = now_ms > hdr->time_ms ? now_ms - hdr->time_ms : hdr->time_ms - now_ms;
	if (age > r->window_ms)
		return -AKMA_E_WIRE_STALE;

	size_t n = len - AKMA_WIRE_HDR_LEN - AKMA_WIRE_TAG_LEN;
	uint8_t *text = dgram + AKMA_WIRE_HDR_LEN;
	/* On failure the text is wiped: what a forger sent decrypts to noise. */
	if (akma_gcm_open(&k->gcm, dgram + 4, dgram, AKMA_WIRE_HDR_LEN, text, text, n, text + n))
		return -AKMA_E_WIRE_AUTH;
	int rc = replay_check(r, hdr->sender, hdr->seq, now_ms);
	if (rc) {
		explicit_bzero(text, n);
		return rc;
	}
	*body = text;
	*body_len = n;
	return 0;
}

/* ---- messages ----------------------------------------------------------------------------------- */

int akma_wire_next(const uint8_t *body, size_t len, size_t *off, struct akma_wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (*off >= len)
		return 0;
	const uint8_t *p = body + *off;
	size_t left = len - *off;
	if (left < AKMA_WIRE_MSG_HDR_LEN) {
		*off = len;
		return -AKMA_E_WIRE_MSG;
	}
	m->type = p[0];
	m->flags = p[1];
	m->id = get64(p + 4);
	size_t mlen = get16(p + 2);
	if (mlen < AKMA_WIRE_MSG_HDR_LEN || mlen > left) {
		*off = len;
		return -AKMA_E_WIRE_MSG;
	}
	m->payload = p + AKMA_WIRE_MSG_HDR_LEN;
	m->payload_len = mlen - AKMA_WIRE_MSG_HDR_LEN;
	*off += mlen;
	return 1;
}

static int field_error(struct akma_req *r, enum akma_field f)
{
	r->status = AKMA_ST_BAD_FIELD;
	r->bad_field = (uint8_t)f;
	return -AKMA_E_WIRE_FIELD;
}

/* A reader that never runs past its message. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static int take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (n > c->left)
		return -1;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

int akma_wire_decode_request(const struct akma_wire_msg *m, struct akma_req *r)
{
	struct cursor c = {m->payload, m->payload_len};
	const uint8_t *f;

	r->client_id = m->id;
	r->status = AKMA_ST_OK;
	r->bad_field = AKMA_FIELD_NONE;
	r->akid_len = 0;
	r->af_id_len = 0;
	r->ueid_len = 0;
	r->gpsi_len = 0;
	r->flags = 0;
	switch (m->type) {
	case AKMA_WIRE_REGISTER: {
		r->type = AKMA_REQ_REGISTER;
		if (m->flags)
			return field_error(r, AKMA_FIELD_FLAGS);
		if (take(&c, 3, &f))
			return field_error(r, AKMA_FIELD_LENGTH);
		uint16_t ulen = get16(f + 1);
		if ((f[0] != AKMA_WIRE_SUPI && f[0] != AKMA_WIRE_GPSI) || ulen == 0 ||
		    ulen > AKMA_UEID_MAX)
			return field_error(r, AKMA_FIELD_UEID);
		r->ueid_type = f[0];
		const uint8_t *ueid;
		if (take(&c, ulen, &ueid) || take(&c, 1, &f))
			return field_error(r, AKMA_FIELD_LENGTH);
		uint8_t alen = f[0];
		if (alen == 0 || alen > AKMA_AKID_MAX)
			return field_error(r, AKMA_FIELD_AKID);
		const uint8_t *akid, *key, *gpsi;
		if (take(&c, alen, &akid) || take(&c, AKMA_KEY_LEN, &key) || take(&c, 1, &f))
			return field_error(r, AKMA_FIELD_LENGTH);
		uint8_t glen = f[0];
		if (take(&c, glen, &gpsi) || c.left)
			return field_error(r, AKMA_FIELD_LENGTH);
		if (glen && r->ueid_type != AKMA_WIRE_SUPI)
			return field_error(r, AKMA_FIELD_UEID); /* a GPSI beside a SUPI only */
		r->akid_len = alen;
		r->ueid_len = ulen;
		r->gpsi_len = glen;
		memcpy(akma_req_akid(r), akid, alen);
		memcpy(akma_req_ueid(r), ueid, ulen);
		memcpy(akma_req_gpsi(r), gpsi, glen);
		memcpy(r->kakma, key, AKMA_KEY_LEN);
		return 0;
	}
	case AKMA_WIRE_GET_KAF: {
		r->type = AKMA_REQ_GET_KAF;
		if (m->flags & ~(AKMA_REQ_ANONYMOUS | AKMA_REQ_WANT_GPSI))
			return field_error(r, AKMA_FIELD_FLAGS);
		r->flags = m->flags;
		if (take(&c, 1, &f))
			return field_error(r, AKMA_FIELD_LENGTH);
		uint8_t alen = f[0];
		if (alen == 0 || alen > AKMA_AKID_MAX)
			return field_error(r, AKMA_FIELD_AKID);
		const uint8_t *akid, *af;
		if (take(&c, alen, &akid) || take(&c, 2, &f))
			return field_error(r, AKMA_FIELD_LENGTH);
		uint16_t flen = get16(f);
		if (flen < 1 + AKMA_UA_ID_LEN || flen > AKMA_AF_ID_MAX)
			return field_error(r, AKMA_FIELD_AF_ID);
		if (take(&c, flen, &af) || c.left)
			return field_error(r, AKMA_FIELD_LENGTH);
		r->akid_len = alen;
		r->af_id_len = flen;
		memcpy(akma_req_akid(r), akid, alen);
		memcpy(akma_req_af_id(r), af, flen);
		return 0;
	}
	case AKMA_WIRE_REMOVE: {
		r->type = AKMA_REQ_REMOVE;
		if (m->flags)
			return field_error(r, AKMA_FIELD_FLAGS);
		if (take(&c, 2, &f))
			return field_error(r, AKMA_FIELD_LENGTH);
		uint16_t ulen = get16(f);
		if (ulen == 0 || ulen > AKMA_UEID_MAX)
			return field_error(r, AKMA_FIELD_UEID);
		const uint8_t *ueid;
		if (take(&c, ulen, &ueid) || c.left)
			return field_error(r, AKMA_FIELD_LENGTH);
		r->ueid_len = ulen;
		memcpy(akma_req_ueid(r), ueid, ulen);
		return 0;
	}
	default:
		r->type = 0;
		r->status = (uint8_t)AKMA_WIRE_ST_UNSUPPORTED;
		r->bad_field = AKMA_FIELD_TYPE;
		return -AKMA_E_WIRE_TYPE;
	}
}

/* The length of a GET_KAF answer's fields after status and field. */
#define KAF_FIELDS_LEN(ueid_len) (AKMA_KEY_LEN + 8 + 1 + 2 + (size_t)(ueid_len))

int akma_wire_encode_response(const struct akma_req *r, uint8_t type, uint8_t *out, size_t cap)
{
	int with_key = type == AKMA_WIRE_GET_KAF && r->status == AKMA_ST_OK;
	size_t len = AKMA_WIRE_MSG_HDR_LEN + 2 + (with_key ? KAF_FIELDS_LEN(r->ueid_len) : 0);
	struct writer w = {out, cap, 0};

	w_msg_header(&w, (uint8_t)(type | AKMA_WIRE_RESPONSE), 0, len, r->client_id);
	w8(&w, r->status);
	w8(&w, r->bad_field);
	if (with_key) {
		wbytes(&w, r->kaf, AKMA_KEY_LEN);
		w64(&w, r->expiry_ms);
		w8(&w, r->ueid_len ? r->ueid_type : 0);
		w16(&w, r->ueid_len);
		wbytes(&w, r->data + r->akid_len + r->af_id_len, r->ueid_len);
	}
	return w.bad ? -AKMA_E_NOSPACE : (int)len;
}

int akma_wire_encode_request(const struct akma_req *r, uint8_t *out, size_t cap)
{
	const uint8_t *akid = r->data, *af_id = r->data + r->akid_len;
	const uint8_t *ueid = r->data + r->akid_len + r->af_id_len;
	struct writer w = {out, cap, 0};
	size_t len;

	switch (r->type) {
	case AKMA_REQ_REGISTER:
		len = AKMA_WIRE_MSG_HDR_LEN + 3 + r->ueid_len + 1 + r->akid_len + AKMA_KEY_LEN + 1 +
		      r->gpsi_len;
		w_msg_header(&w, AKMA_WIRE_REGISTER, 0, len, r->client_id);
		w8(&w, r->ueid_type);
		w16(&w, r->ueid_len);
		wbytes(&w, ueid, r->ueid_len);
		w8(&w, r->akid_len);
		wbytes(&w, akid, r->akid_len);
		wbytes(&w, r->kakma, AKMA_KEY_LEN);
		w8(&w, r->gpsi_len);
		wbytes(&w, ueid + r->ueid_len, r->gpsi_len);
		break;
	case AKMA_REQ_GET_KAF:
		len = AKMA_WIRE_MSG_HDR_LEN + 1 + r->akid_len + 2 + r->af_id_len;
		w_msg_header(&w, AKMA_WIRE_GET_KAF, r->flags, len, r->client_id);
		w8(&w, r->akid_len);
		wbytes(&w, akid, r->akid_len);
		w16(&w, r->af_id_len);
		wbytes(&w, af_id, r->af_id_len);
		break;
	case AKMA_REQ_REMOVE:
		len = AKMA_WIRE_MSG_HDR_LEN + 2 + r->ueid_len;
		w_msg_header(&w, AKMA_WIRE_REMOVE, 0, len, r->client_id);
		w16(&w, r->ueid_len);
		wbytes(&w, ueid, r->ueid_len);
		break;
	default:
		return -AKMA_E_WIRE_TYPE;
	}
	return w.bad ? -AKMA_E_NOSPACE : (int)len;
}

int akma_wire_encode_stats_request(uint64_t id, uint8_t *out, size_t cap)
{
	struct writer w = {out, cap, 0};

	w_msg_header(&w, AKMA_WIRE_STATS, 0, AKMA_WIRE_MSG_HDR_LEN, id);
	return w.bad ? -AKMA_E_NOSPACE : AKMA_WIRE_MSG_HDR_LEN;
}

int akma_wire_encode_stats(uint64_t id, const char *const *names, const uint64_t *values,
			   unsigned n, uint8_t *out, size_t cap)
{
	size_t len = AKMA_WIRE_MSG_HDR_LEN + 2 + 2;

	if (n > AKMA_WIRE_STATS_MAX)
		return -AKMA_E_NOSPACE;
	for (unsigned i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		if (nl == 0 || nl > AKMA_WIRE_STAT_NAME_MAX)
			return -AKMA_E_WIRE_FIELD;
		len += 1 + nl + 8;
	}
	struct writer w = {out, cap, 0};
	w_msg_header(&w, AKMA_WIRE_STATS | AKMA_WIRE_RESPONSE, 0, len, id);
	w8(&w, AKMA_ST_OK);
	w8(&w, AKMA_FIELD_NONE);
	w16(&w, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		w8(&w, (uint8_t)nl);
		wbytes(&w, names[i], nl);
		w64(&w, values[i]);
	}
	return w.bad ? -AKMA_E_NOSPACE : (int)len;
}

int akma_wire_decode_stats(const struct akma_wire_msg *m, uint8_t *status,
			   struct akma_wire_stat *out, unsigned max)
{
	struct cursor c = {m->payload, m->payload_len};
	const uint8_t *f;

	if (m->type != (AKMA_WIRE_STATS | AKMA_WIRE_RESPONSE) || take(&c, 2, &f))
		return -AKMA_E_WIRE_FIELD;
	*status = f[0];
	if (f[0] != AKMA_ST_OK)
		return c.left ? -AKMA_E_WIRE_FIELD : 0;
	if (take(&c, 2, &f))
		return -AKMA_E_WIRE_FIELD;
	unsigned n = get16(f);
	if (n > max)
		return -AKMA_E_NOSPACE;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *name, *value;
		if (take(&c, 1, &f) || f[0] == 0 || f[0] > AKMA_WIRE_STAT_NAME_MAX ||
		    take(&c, f[0], &name) || take(&c, 8, &value))
			return -AKMA_E_WIRE_FIELD;
		for (unsigned k = 0; k < f[0]; k++) /* names are printable as they are */
			if (!((name[k] >= 'a' && name[k] <= 'z') ||
			      (name[k] >= '0' && name[k] <= '9') || name[k] == '_'))
				return -AKMA_E_WIRE_FIELD;
		memcpy(out[i].name, name, f[0]);
		out[i].name[f[0]] = '\0';
		out[i].value = get64(value);
	}
	return c.left ? -AKMA_E_WIRE_FIELD : (int)n;
}

int akma_wire_decode_response(const struct akma_wire_msg *m, struct akma_req *r)
{
	struct cursor c = {m->payload, m->payload_len};
	const uint8_t *f;

	r->client_id = m->id;
	if (!(m->type & AKMA_WIRE_RESPONSE) || take(&c, 2, &f))
		return -AKMA_E_WIRE_FIELD;
	r->status = f[0];
	r->bad_field = f[1];
	if ((m->type & 0x7f) != AKMA_WIRE_GET_KAF || r->status != AKMA_ST_OK)
		return c.left ? -AKMA_E_WIRE_FIELD : 0;
	const uint8_t *kaf, *expiry, *type, *ulen_at, *ueid;
	if (take(&c, AKMA_KEY_LEN, &kaf) || take(&c, 8, &expiry) || take(&c, 1, &type) ||
	    take(&c, 2, &ulen_at))
		return -AKMA_E_WIRE_FIELD;
	uint16_t ulen = get16(ulen_at);
	if (ulen > AKMA_UEID_MAX || take(&c, ulen, &ueid) || c.left)
		return -AKMA_E_WIRE_FIELD;
	memcpy(r->kaf, kaf, AKMA_KEY_LEN);
	r->expiry_ms = get64(expiry);
	r->ueid_type = type[0];
	r->akid_len = 0;
	r->af_id_len = 0;
	r->ueid_len = ulen;
	memcpy(r->data, ueid, ulen);
	return 0;
}
