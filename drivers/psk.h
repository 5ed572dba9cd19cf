/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_PSK_H
#define AKMA_PSK_H

/* The wire PSK file: 64 hex digits, an optional line end. Thread-safe;
 * blocks on the file only. */

#include <stddef.h>
#include <stdint.h>

/* Read the PSK at path into psk. With owner_only (the daemon), the file must
 * be a regular file, not a link, readable by its owner only. Returns 0, or
 * -1 with a one-line reason naming the file in why. */
int akma_psk_read(const char *path, int owner_only, uint8_t psk[32], char *why, size_t why_size);

#endif
