/* SPDX-License-Identifier: BSD-3-Clause */
#include "psk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hex.h"

int akma_psk_read(const char *path, int owner_only, uint8_t psk[32], char *why, size_t why_size)
{
	struct stat st;
	char text[80];
	int fd = open(path, O_RDONLY | O_CLOEXEC | (owner_only ? O_NOFOLLOW : 0));

	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, why_size, "psk file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (owner_only && (!S_ISREG(st.st_mode) || (st.st_mode & 077))) {
		snprintf(why, why_size,
			 "psk file %s: must be a regular file readable by its owner only "
			 "(mode %04o; chmod 600 it)",
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, why_size, "psk file %s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = (size_t)n;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	int rc = akma_hex_decode(text, len, psk, 32, -AKMA_E_KEY_LENGTH);
	explicit_bzero(text, sizeof(text));
	if (rc) {
		snprintf(why, why_size, "psk file %s: %s", path, akma_strerror(rc));
		return -1;
	}
	return 0;
}
