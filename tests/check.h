/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_TEST_CHECK_H
#define AKMA_TEST_CHECK_H

/* A minimal check harness: every CHECK counts, a failure prints where and
 * why and the run goes on, and check_done() prints "N passed, N failed" and
 * gives the exit status. */

#include <stdio.h>
#include <string.h>

static unsigned check_passed, check_failed;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		if (cond) {                                                             \
			check_passed++;                                                 \
		} else {                                                                \
			check_failed++;                                                 \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
		}                                                                       \
	} while (0)

#define CHECK_EQ_INT(got, want, ...)                                     \
	do {                                                             \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		CHECK(g_ == w_, "got %lld, want %lld: ", g_, w_);        \
		if (g_ != w_) {                                          \
			fprintf(stderr, "    ");                         \
			fprintf(stderr, __VA_ARGS__);                    \
			fputc('\n', stderr);                             \
		}                                                        \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : (check_passed ? 0 : 1);
}

#endif
