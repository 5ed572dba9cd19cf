/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secret heap: a slab allocator over its own mappings, so that every
 * page it hands out can be marked MADV_DONTDUMP (and mlocked) when mapped,
 * which glibc's malloc cannot be asked to do.
 *
 * Every mapping is a region aligned to REGION (256 KiB) with its header at
 * the start, so free() finds the header of any pointer by masking it. A
 * small block (64 octets to 32 KiB, powers of two) is a chunk of a slab:
 * a region cut into chunks of one class, the first chunk(s) holding the
 * header. A larger block is a region of its own with the block 64 octets
 * in. Each class keeps a list of its slabs that have free chunks; a slab
 * that empties is unmapped unless it is its class's only empty slab (one
 * is kept so that a connection opened and closed in a loop does not map
 * and unmap a slab each time). Freed chunks are wiped whole, so every free
 * chunk is zero but for its free-list link: blocks come out zeroed for the
 * cost of clearing that link.
 *
 * Each thread keeps a magazine of freed (and wiped) chunks per class
 * (magazine_cap()) and serves its allocations from it first, without the lock:
 * the SBI thread allocates and frees some 40 blocks a request through
 * jansson and nghttp2, and the lock and the slab bookkeeping were 15 % of
 * its instructions (callgrind, retrieve-applicationkey under h2load). A
 * chunk in a magazine counts as in use; a thread's magazines go back to the
 * slabs when it exits (a thread-specific key's destructor) or calls
 * akma_secmem_thread_flush().
 * The largest class is 32 KiB because OpenSSL's record buffers are about
 * 17 KiB and nghttp2's are 16 KiB: they stay in slabs instead of costing
 * an mmap and a munmap each.
 *
 * Built with AddressSanitizer, the heap is malloc's (aligned, zeroed,
 * wiped on free as here): ASan then sees every block of nghttp2, OpenSSL
 * and jansson, which matters more in that build than core dumps do.
 */
#include "secmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define REGION ((size_t)256 * 1024)
#define MIN_SHIFT 6  /* 64 octets */
#define MAX_SHIFT 15 /* 32 KiB */
#define CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define LARGE_OFFSET 64
#define MAGIC_SLAB 0x6b616d7361626c73ULL  /* "slabsmak" */
#define MAGIC_LARGE 0x6b616d656772616cULL /* "largemak" */

struct region {
	uint64_t magic;
	size_t size;                /* the mapping's length */
	struct region *prev, *next; /* slab: in its class's list of slabs with a free chunk */
	void *free;                 /* slab: freed chunks, linked through their first word */
	uint32_t cls;               /* slab: class index */
	uint32_t used;              /* slab: chunks handed out */
	uint32_t fresh;             /* slab: index of the first never-used chunk */
	uint32_t locked;            /* the mapping is mlocked */
};

_Static_assert(sizeof(struct region) <= LARGE_OFFSET, "a region header fits in 64 octets");

struct class
{
	struct region *partial; /* slabs with at least one free chunk */
	unsigned empty;         /* slabs with none handed out (at most one stays) */
};

#if defined(__SANITIZE_ADDRESS__)
#include <malloc.h>

void *akma_secmem_alloc(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, n ? n : 1) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, n ? n : 1);
	return p;
}

void *akma_secmem_calloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return akma_secmem_alloc(nmemb * size);
}

size_t akma_secmem_usable_size(const void *p)
{
	return malloc_usable_size((void *)p);
}

void akma_secmem_free(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void *akma_secmem_realloc(void *p, size_t n)
{
	if (!p)
		return akma_secmem_alloc(n);
	if (n == 0) {
		akma_secmem_free(p);
		return NULL;
	}
	size_t have = malloc_usable_size(p);
	void *q = akma_secmem_alloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, have < n ? have : n);
	akma_secmem_free(p);
	return q;
}

void akma_secmem_stats(struct akma_secmem_stats *s)
{
	s->mapped = s->locked = s->in_use = 0;
}

int akma_secmem_sanitized(void)
{
	return 1;
}

void akma_secmem_thread_flush(void)
{
}
#else
int akma_secmem_sanitized(void)
{
	return 0;
}

/* A class up to 1 KiB caches 256 chunks a thread, a larger one 32: the SBI
 * thread has up to 128 streams in flight, each holding some ten small
 * blocks, and with 32 a class its magazines overflowed into the lock 2.3
 * times a request in each of alloc and free (callgrind, h2load -c 4 -m 32).
 * At most 256 x (64 + ... + 1024) + 32 x (2 + ... + 32 KiB) octets a
 * thread stays cached (2.4 MiB; 2.0 before), all of it wiped. */
#define MAGAZINE 256
#define MAGAZINE_SMALL_CLASSES 5 /* 64 octets to 1 KiB */
#define MAGAZINE_LARGE 32

static unsigned magazine_cap(uint32_t cls)
{
	return cls < MAGAZINE_SMALL_CLASSES ? MAGAZINE : MAGAZINE_LARGE;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct class classes[CLASSES];
static __thread void *magazine[CLASSES][MAGAZINE];
static __thread unsigned magazine_n[CLASSES];
static __thread int magazine_registered;
static pthread_key_t magazine_key;
static pthread_once_t magazine_once = PTHREAD_ONCE_INIT;

static void free_small(struct region *s, void *p);
static struct region *region_of(const void *p);

void akma_secmem_thread_flush(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned c = 0; c < CLASSES; c++)
		while (magazine_n[c]) {
			void *p = magazine[c][--magazine_n[c]];
			free_small(region_of(p), p);
		}
	pthread_mutex_unlock(&lock);
}

static void magazine_exit(void *unused)
{
	(void)unused;
	akma_secmem_thread_flush();
}

static void magazine_key_create(void)
{
	pthread_key_create(&magazine_key, magazine_exit);
}
static size_t mapped, locked, in_use;
static size_t lock_budget; /* RLIMIT_MEMLOCK's soft limit, read once */
static int lock_budget_read;

static size_t chunk_size(uint32_t cls)
{
	return (size_t)1 << (cls + MIN_SHIFT);
}

static uint32_t first_chunk(uint32_t cls)
{
	return (uint32_t)((sizeof(struct region) + chunk_size(cls) - 1) / chunk_size(cls));
}

static uint32_t chunks_per_slab(uint32_t cls)
{
	return (uint32_t)(REGION / chunk_size(cls));
}

static struct region *region_of(const void *p)
{
	return (struct region *)((uintptr_t)p & ~(uintptr_t)(REGION - 1));
}

/* A mapping of size octets (a multiple of the page), aligned to REGION,
 * excluded from dumps, locked while the budget lasts. Lock held. */
static struct region *map_region(size_t size)
{
	size_t span = size + REGION;
	uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *base;
	struct region *r;

	if (raw == MAP_FAILED)
		return NULL;
	base = (uint8_t *)(((uintptr_t)raw + REGION - 1) & ~(uintptr_t)(REGION - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + span > base + size)
		munmap(base + size, (size_t)(raw + span - (base + size)));
	/* Before anything is written: a dump taken a moment later must not
	 * hold it. If the kernel refuses, the memory is unfit for secrets. */
	if (madvise(base, size, MADV_DONTDUMP) != 0) {
		munmap(base, size);
		errno = ENOMEM;
		return NULL;
	}
	r = (struct region *)base;
	r->size = size;
	if (!lock_budget_read) {
		struct rlimit rl;

		lock_budget = getrlimit(RLIMIT_MEMLOCK, &rl) == 0 ? (size_t)rl.rlim_cur : 0;
		lock_budget_read = 1;
	}
	if (locked + size <= lock_budget && mlock(base, size) == 0) {
		r->locked = 1;
		locked += size;
	}
	mapped += size;
	return r;
}

static void unmap_region(struct region *r)
{
	size_t size = r->size;

	mapped -= size;
	if (r->locked)
		locked -= size;
	explicit_bzero(r, sizeof(*r));
	munmap(r, size);
}

static void list_remove(struct class *c, struct region *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

static void list_push(struct class *c, struct region *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (c->partial)
		c->partial->prev = s;
	c->partial = s;
}

static void *alloc_small(uint32_t cls)
{
	struct class *c = &classes[cls];
	struct region *s = c->partial;
	uint8_t *p;

	if (!s) {
		s = map_region(REGION);
		if (!s)
			return NULL;
		s->magic = MAGIC_SLAB;
		s->cls = cls;
		s->fresh = first_chunk(cls);
		list_push(c, s);
		c->empty++;
	}
	if (s->free) {
		p = s->free;
		memcpy(&s->free, p, sizeof(void *));
		memset(p, 0, sizeof(void *));
	} else {
		p = (uint8_t *)s + (size_t)s->fresh * chunk_size(cls);
		s->fresh++;
	}
	if (s->used++ == 0)
		c->empty--;
	if (s->used == chunks_per_slab(cls) - first_chunk(cls))
		list_remove(c, s);
	in_use += chunk_size(cls);
	return p;
}

/* p must be the start of one of slab s's chunks: anything else is a heap
 * mix-up (abort). */
static void check_chunk(const struct region *s, const void *p)
{
	size_t n = chunk_size(s->cls);
	if ((((uintptr_t)p - (uintptr_t)s) & (n - 1)) != 0 ||
	    (uintptr_t)p < (uintptr_t)s + (size_t)first_chunk(s->cls) * n)
		abort();
}

static void free_small(struct region *s, void *p)
{
	struct class *c = &classes[s->cls];
	size_t n = chunk_size(s->cls);

	check_chunk(s, p);
	if (s->used == 0)
		abort();
	explicit_bzero(p, n);
	if (s->used == chunks_per_slab(s->cls) - first_chunk(s->cls))
		list_push(c, s);
	memcpy(p, &s->free, sizeof(void *));
	s->free = p;
	in_use -= n;
	if (--s->used == 0) {
		if (c->empty >= 1) {
			list_remove(c, s);
			unmap_region(s);
		} else {
			c->empty++;
		}
	}
}

void *akma_secmem_alloc(size_t n)
{
	void *p = NULL;
	uint32_t cls = 0;

	if (n > ((size_t)1 << MAX_SHIFT)) {
		size_t page = 4096, size;
		struct region *r;

		if (n > SIZE_MAX / 2) {
			errno = ENOMEM;
			return NULL;
		}
		size = (n + LARGE_OFFSET + page - 1) & ~(page - 1);
		pthread_mutex_lock(&lock);
		r = map_region(size);
		if (r) {
			r->magic = MAGIC_LARGE;
			in_use += size;
			p = (uint8_t *)r + LARGE_OFFSET;
		}
		pthread_mutex_unlock(&lock);
	} else {
		while (chunk_size(cls) < n)
			cls++;
		if (magazine_n[cls]) /* wiped when freed: zero, as a slab's chunks are */
			return magazine[cls][--magazine_n[cls]];
		pthread_mutex_lock(&lock);
		p = alloc_small(cls);
		pthread_mutex_unlock(&lock);
	}
	if (!p)
		errno = ENOMEM;
	return p;
}

void *akma_secmem_calloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return akma_secmem_alloc(nmemb * size);
}

size_t akma_secmem_usable_size(const void *p)
{
	const struct region *r = region_of(p);

	if (r->magic == MAGIC_LARGE)
		return r->size - LARGE_OFFSET;
	if (r->magic == MAGIC_SLAB)
		return chunk_size(r->cls);
	abort();
}

void akma_secmem_free(void *p)
{
	struct region *r;

	if (!p)
		return;
	r = region_of(p);
	if (r->magic == MAGIC_SLAB) {
		uint32_t cls = r->cls;
		check_chunk(r, p);
		if (magazine_n[cls] < magazine_cap(cls)) {
			if (!magazine_registered) { /* its destructor gives the magazines back */
				pthread_once(&magazine_once, magazine_key_create);
				pthread_setspecific(magazine_key, (void *)1);
				magazine_registered = 1;
			}
			explicit_bzero(p, chunk_size(cls));
			magazine[cls][magazine_n[cls]++] = p;
			return;
		}
	}
	pthread_mutex_lock(&lock);
	if (r->magic == MAGIC_LARGE && (uint8_t *)p == (uint8_t *)r + LARGE_OFFSET) {
		explicit_bzero(p, r->size - LARGE_OFFSET);
		in_use -= r->size;
		unmap_region(r);
	} else if (r->magic == MAGIC_SLAB) {
		free_small(r, p);
	} else {
		abort();
	}
	pthread_mutex_unlock(&lock);
}

void *akma_secmem_realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (!p)
		return akma_secmem_alloc(n);
	if (n == 0) {
		akma_secmem_free(p);
		return NULL;
	}
	have = akma_secmem_usable_size(p);
	if (n <= have)
		return p;
	q = akma_secmem_alloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, have);
	akma_secmem_free(p);
	return q;
}

void akma_secmem_stats(struct akma_secmem_stats *s)
{
	pthread_mutex_lock(&lock);
	s->mapped = mapped;
	s->locked = locked;
	s->in_use = in_use;
	pthread_mutex_unlock(&lock);
}
#endif

/* ---- registers ------------------------------------------------------------------------- */

/* The register list is what the asm writes; each ISA in a function of its
 * own, so that the compiler knows the names (zmm16-31 need avx512f). */
__attribute__((noinline)) static void clear_sse(void)
{
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
			 "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
			 "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm8, %%xmm8\n\t"
			 "pxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
			 "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
			 "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15"
			 :
			 :
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

__attribute__((noinline, target("avx"))) static void clear_avx(void)
{
	__asm__ volatile("vzeroall"
			 :
			 :
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

__attribute__((noinline, target("avx512f"))) static void clear_avx512(void)
{
	__asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n\tvpxord %%zmm17, %%zmm17, %%zmm17\n\t"
			 "vpxord %%zmm18, %%zmm18, %%zmm18\n\tvpxord %%zmm19, %%zmm19, %%zmm19\n\t"
			 "vpxord %%zmm20, %%zmm20, %%zmm20\n\tvpxord %%zmm21, %%zmm21, %%zmm21\n\t"
			 "vpxord %%zmm22, %%zmm22, %%zmm22\n\tvpxord %%zmm23, %%zmm23, %%zmm23\n\t"
			 "vpxord %%zmm24, %%zmm24, %%zmm24\n\tvpxord %%zmm25, %%zmm25, %%zmm25\n\t"
			 "vpxord %%zmm26, %%zmm26, %%zmm26\n\tvpxord %%zmm27, %%zmm27, %%zmm27\n\t"
			 "vpxord %%zmm28, %%zmm28, %%zmm28\n\tvpxord %%zmm29, %%zmm29, %%zmm29\n\t"
			 "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31"
			 :
			 :
			 : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
			   "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

void akma_secmem_clear_registers(void)
{
	static int isa = -1; /* 0 SSE, 1 AVX, 2 AVX-512F; a benign race */

	if (isa < 0) {
		__builtin_cpu_init();
		isa = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx") ? 1 : 0;
	}
	if (isa >= 1)
		clear_avx();
	else
		clear_sse();
	if (isa == 2)
		clear_avx512();
}

/* Not inlined, so that its array lies below the caller's frame; the empty
 * asm keeps the zeroing of an array that is never read again. */
__attribute__((noinline)) void akma_secmem_clear_stack(void)
{
	unsigned char below[AKMA_SECMEM_STACK_SCRUB];

	explicit_bzero(below, sizeof(below));
	__asm__ volatile("" : : "r"(below) : "memory");
}

void *akma_secmem_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, size, MADV_DONTDUMP);
	return p;
}

void akma_secmem_unmap(void *p, size_t size)
{
	if (!p)
		return;
	explicit_bzero(p, size);
	munmap(p, size);
}
