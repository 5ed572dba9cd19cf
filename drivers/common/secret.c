/* SPDX-License-Identifier: BSD-3-Clause */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hex.h"

/* Read up to cap - 1 octets of a secret file, its line end dropped. */
static int read_secret(const char *what, const char *path, int owner_only, char *text, size_t cap,
		       size_t *len, char *why, size_t why_size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | (owner_only ? O_NOFOLLOW : 0));

	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, why_size, "%s %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (owner_only && (!S_ISREG(st.st_mode) || (st.st_mode & 077))) {
		snprintf(why, why_size,
			 "%s %s: must be a regular file readable by its owner only "
			 "(mode %04o; chmod 600 it)",
			 what, path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	ssize_t n = read(fd, text, cap - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, why_size, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	*len = (size_t)n;
	char *nl = memchr(text, '\n', *len);
	if (nl)
		*len = (size_t)(nl - text);
	while (*len && text[*len - 1] == '\r')
		(*len)--;
	text[*len] = '\0';
	return 0;
}

int akma_key_file_read(const char *what, const char *path, int owner_only, uint8_t key[32],
		       char *why, size_t why_size)
{
	char text[80];
	size_t len;

	if (read_secret(what, path, owner_only, text, sizeof(text), &len, why, why_size) != 0)
		return -1;
	int rc = akma_hex_decode(text, len, key, 32, -AKMA_E_KEY_LENGTH);
	explicit_bzero(text, sizeof(text));
	if (rc) {
		snprintf(why, why_size, "%s %s: %s", what, path, akma_strerror(rc));
		return -1;
	}
	return 0;
}

int akma_psk_read(const char *path, int owner_only, uint8_t psk[32], char *why, size_t why_size)
{
	return akma_key_file_read("psk file", path, owner_only, psk, why, why_size);
}

int akma_password_file_read(const char *path, char *password, size_t size, char *why,
			    size_t why_size)
{
	size_t len;

	if (read_secret("password file", path, 1, password, size, &len, why, why_size) != 0)
		return -1;
	if (len == 0) {
		snprintf(why, why_size, "password file %s: the first line is empty", path);
		return -1;
	}
	return 0;
}
