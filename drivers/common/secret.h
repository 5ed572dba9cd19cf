/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SECRET_H
#define AKMA_SECRET_H

/* Secret files: the wire PSK and the replication KEK (64 hex digits, an
 * optional line end) and the Redis password (the first line). Thread-safe;
 * blocks on the file only. */

#include <stddef.h>
#include <stdint.h>

/* Read a 32-octet key in hex from path; what names the file in errors ("kek
 * file"). With owner_only (the daemon), the file must be a regular file, not
 * a link, readable by its owner only. Returns 0, or -1 with a one-line
 * reason naming the file in why (never its content). */
int akma_key_file_read(const char *what, const char *path, int owner_only, uint8_t key[32],
		       char *why, size_t why_size);

/* The wire PSK: akma_key_file_read("psk file", ...). */
int akma_psk_read(const char *path, int owner_only, uint8_t psk[32], char *why, size_t why_size);

/* The first line of an owner-only file, without its line end, into password
 * (NUL-terminated; longer lines are cut at size - 1). Returns 0 or -1 with
 * why. The caller wipes password after use. */
int akma_password_file_read(const char *path, char *password, size_t size, char *why,
			    size_t why_size);

#endif
