/* SPDX-License-Identifier: BSD-3-Clause */
/* The doorbell's slow paths (see doorbell.h). */
#include "doorbell.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

int akma_doorbell_init(struct akma_doorbell *bell)
{
	bell->armed = 0;
	bell->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return bell->fd < 0 ? -errno : 0;
}

void akma_doorbell_fini(struct akma_doorbell *bell)
{
	if (bell->fd >= 0)
		close(bell->fd);
	bell->fd = -1;
}

int akma_doorbell_wait(struct akma_doorbell *bell, unsigned timeout_us)
{
	struct pollfd p = {.fd = bell->fd, .events = POLLIN};
	struct timespec ts = {(time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000};

	int rc = ppoll(&p, 1, timeout_us ? &ts : NULL, NULL);
	__atomic_store_n(&bell->armed, 0, __ATOMIC_RELAXED);
	if (rc <= 0)
		return 0;
	/* Drained, so that the next wait sleeps; a ring after this is a new one. */
	akma_doorbell_drain(bell);
	return 1;
}

void akma_doorbell_drain(struct akma_doorbell *bell)
{
	uint64_t count;

	while (read(bell->fd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
}

void akma_doorbell_wake(struct akma_doorbell *bell)
{
	uint64_t one = 1;

	/* Only the waker that disarms it writes: one write a sleep. */
	if (!__atomic_exchange_n(&bell->armed, 0, __ATOMIC_ACQ_REL))
		return;
	while (write(bell->fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}
