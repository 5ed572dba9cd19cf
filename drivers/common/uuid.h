/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_UUID_H
#define AKMA_UUID_H

/* NF instance IDs (TS 29.571 NfInstanceId): UUIDs, 8-4-4-4-12 hex digits
 * (RFC 4122), compared without regard to case. */

#include <stddef.h>

#define AKMA_UUID_LEN 36

static inline int akma_uuid_valid(const char *s, size_t len)
{
	if (len != AKMA_UUID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		char ch = s[i];
		int hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			  (ch >= 'A' && ch <= 'F');
		if (dash ? ch != '-' : !hex)
			return 0;
	}
	return 1;
}

#endif
