/* SPDX-License-Identifier: BSD-3-Clause */
/* The secret heap (engine/secmem.c): every size class and large blocks come
 * out zeroed, aligned and in mappings the kernel marks "dd" (not dumped);
 * contents survive realloc; a freed block comes back wiped; emptied slabs
 * are unmapped; threads allocating and freeing at once leave the heap as
 * they found it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "secmem.h"

/* The VmFlags of the mapping holding p contain "dd". */
static int not_dumped(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, dd = -1;
	uintptr_t a = (uintptr_t)p;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
		} else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			dd = strstr(line, " dd") != NULL;
			break;
		}
	}
	fclose(f);
	return dd;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *live[64] = {0};

	for (int i = 0; i < 50000; i++) {
		unsigned k = (unsigned)rand_r(&seed) % 64;
		size_t n = (size_t)rand_r(&seed) % 40000;

		if (live[k]) {
			akma_secmem_free(live[k]);
			live[k] = NULL;
		} else {
			live[k] = akma_secmem_alloc(n);
			if (live[k] && !all_zero(live[k], n))
				return (void *)1;
			if (live[k])
				memset(live[k], 0xa5, n);
		}
	}
	for (int k = 0; k < 64; k++)
		akma_secmem_free(live[k]);
	return NULL;
}

int main(void)
{
	static const size_t sizes[] = {0,    1,     63,    64,    65,    200,    1000,
				       4096, 16384, 17000, 32768, 32769, 100000, 1 << 20};
	struct akma_secmem_stats st0, st;
	void *blocks[sizeof(sizes) / sizeof(sizes[0])];

	/* An ASan build's heap is malloc's (secmem.c): dump exclusion and the
	 * slabs' own behaviour are checked in the other builds. */
	int slabs = !akma_secmem_sanitized();

	if (!slabs)
		printf("test_secmem: AddressSanitizer build, malloc-backed: the dump exclusion and "
		       "slab checks are skipped\n");
	akma_secmem_stats(&st0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *p = akma_secmem_alloc(n);

		blocks[i] = p;
		CHECK(p != NULL, "alloc(%zu)", n);
		if (!p)
			continue;
		CHECK(((uintptr_t)p & 63) == 0, "alloc(%zu) aligned to 64: %p", n, (void *)p);
		CHECK(akma_secmem_usable_size(p) >= (n ? n : 1), "usable size of %zu: %zu", n,
		      akma_secmem_usable_size(p));
		CHECK(all_zero(p, n), "alloc(%zu) zeroed", n);
		CHECK(!slabs || not_dumped(p) == 1, "alloc(%zu) in a mapping marked dd", n);
		memset(p, 0x5a, n);
	}
	akma_secmem_stats(&st);
	CHECK(!slabs ||
		      (st.mapped > st0.mapped && st.in_use > st0.in_use && st.locked <= st.mapped),
	      "stats: mapped %zu in use %zu locked %zu", st.mapped, st.in_use, st.locked);

	/* realloc keeps the contents across classes and into a large block */
	{
		uint8_t *p = akma_secmem_alloc(100);

		for (int i = 0; i < 100; i++)
			p[i] = (uint8_t)i;
		p = akma_secmem_realloc(p, 5000);
		CHECK(p && p[0] == 0 && p[99] == 99 && all_zero(p + 100, 4900), "realloc to 5000");
		p = akma_secmem_realloc(p, 70000);
		CHECK(p && p[1] == 1 && p[99] == 99 && all_zero(p + 100, 69900),
		      "realloc to 70000");
		p = akma_secmem_realloc(p, 10);
		CHECK(p && p[9] == 9, "realloc to a smaller size keeps the block");
		CHECK(akma_secmem_realloc(p, 0) == NULL, "realloc to 0 frees");
		CHECK(akma_secmem_calloc(SIZE_MAX / 2, 4) == NULL, "calloc overflow refused");
	}

	/* a freed chunk comes back wiped: the same class, the same slab */
	{
		uint8_t *p = akma_secmem_alloc(256), *q;

		memset(p, 0xff, 256);
		akma_secmem_free(p);
		q = akma_secmem_alloc(256);
		CHECK(!slabs || q == p, "the freed chunk is reused first");
		CHECK(all_zero(q, 256), "and comes back zeroed");
		akma_secmem_free(q);
	}

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		akma_secmem_free(blocks[i]);

	/* threads */
	{
		pthread_t t[4];
		void *bad = NULL, *r;

		for (uintptr_t i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, churn, (void *)(i + 1));
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], &r);
			if (r)
				bad = r;
		}
		CHECK(bad == NULL, "every block handed out under contention was zero");
	}
	akma_secmem_thread_flush(); /* this thread's cached chunks, back to the slabs */
	akma_secmem_stats(&st);
	CHECK(!slabs || st.in_use == st0.in_use, "everything freed: in use %zu, before %zu",
	      st.in_use, st0.in_use);
	/* one empty slab per class may stay; nothing else */
	CHECK(!slabs || st.mapped <= st0.mapped + 10 * 256 * 1024,
	      "emptied slabs unmapped: %zu mapped", st.mapped);
	return check_done("test_secmem");
}
