/* SPDX-License-Identifier: BSD-3-Clause */
#include "rlimit.h"

#include <sys/resource.h>

unsigned long akma_raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		return 0;
	if (r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
		getrlimit(RLIMIT_NOFILE, &r);
	}
	return (unsigned long)r.rlim_cur;
}
