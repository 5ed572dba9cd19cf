/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SECMEM_H
#define AKMA_SECMEM_H

/*
 * Memory for key material: pages the kernel leaves out of core dumps
 * (MADV_DONTDUMP, which gcore honours too), locked in RAM (mlock) while
 * RLIMIT_MEMLOCK's soft limit allows, handed out zeroed and wiped when
 * freed. What lives here: the expanded GCM keys (PSK, KEK), nghttp2's
 * session buffers, OpenSSL's (record buffers, private keys), jansson's
 * parse trees, the SBI's read buffer. The store's arena and the request
 * mempool have their own excluded mappings (ctx.c, worker.c).
 *
 * A malloc-shaped interface, so that nghttp2_mem, CRYPTO_set_mem_functions
 * and json_set_alloc_funcs can take it as it is. Thread-safe (one mutex);
 * every call may block on that mutex and on mmap/munmap, never on I/O.
 */

#include <stddef.h>

/* n octets, zeroed, aligned to 64 (a cache line, what ipsec-mb's expanded
 * keys need); n 0 gives a block of 64, as malloc(0) gives a unique pointer.
 * Returns NULL when memory is exhausted (errno ENOMEM). */
void *akma_secmem_alloc(size_t n);

/* nmemb * size octets, zeroed; NULL on overflow (ENOMEM). */
void *akma_secmem_calloc(size_t nmemb, size_t size);

/* Resize p (NULL: alloc). The old block is wiped when the data moves; new
 * octets are zero. n 0 frees p and returns NULL. On failure returns NULL
 * and p is untouched. */
void *akma_secmem_realloc(void *p, size_t n);

/* Wipe and free what akma_secmem_alloc/calloc/realloc returned; NULL is a
 * no-op. Anything else aborts (a heap mix-up is a bug, not an error). */
void akma_secmem_free(void *p);

/* A zeroed private mapping of size octets, left out of core dumps and not
 * locked (not the heap's: large buffers that hold keys a moment, such as
 * the wire's receive batches and answer buffers). Returns NULL when mmap
 * fails. akma_secmem_unmap() wipes the size octets and unmaps them. Any
 * thread; neither takes the heap's lock. */
void *akma_secmem_map(size_t size);
void akma_secmem_unmap(void *p, size_t size);

/* The usable size of p (at least what was asked). */
size_t akma_secmem_usable_size(const void *p);

struct akma_secmem_stats {
	size_t mapped; /* octets mapped, all excluded from dumps */
	size_t locked; /* of which locked in RAM */
	size_t in_use; /* octets handed out (size classes, not requests) */
};

void akma_secmem_stats(struct akma_secmem_stats *s);

/* Give the calling thread's cached freed chunks back to the heap (a thread
 * does so when it exits); afterwards in_use and mapped count only what is
 * handed out. Takes the heap's lock. */
void akma_secmem_thread_flush(void);

/* 1 in an AddressSanitizer build, where the heap is malloc's (secmem.c):
 * blocks are zeroed, aligned and wiped, but not kept out of dumps. */
int akma_secmem_sanitized(void);

/* Zero the calling thread's vector registers (xmm0-15; ymm and zmm0-15 with
 * AVX; zmm16-31 with AVX-512, which glibc's memcpy uses there): a core dump
 * holds every thread's registers, and the last SHA, AES or memcpy left key
 * material in them. For a thread that has finished a burst of keys; a few
 * nanoseconds, never blocks. */
void akma_secmem_clear_registers(void);

/* Octets of the calling thread's stack, below its caller's frame, that
 * akma_secmem_clear_stack() zeroes. */
#define AKMA_SECMEM_STACK_SCRUB (32u * 1024)

/* Zero the AKMA_SECMEM_STACK_SCRUB octets of the calling thread's stack
 * below the caller: what the thread's deeper calls left there. The dynamic
 * linker saves every vector register on the stack while it binds a symbol
 * of a lazily bound library (Debian builds jansson and nghttp2 so), keys in
 * those registers included; integration_coredump found a K_AKMA that way,
 * 12 KB down the SBI thread's stack. For a thread about to wait with no
 * key in hand, with akma_secmem_clear_registers(); about a microsecond
 * (a 32 KiB memset), never blocks. */
void akma_secmem_clear_stack(void);

#endif
