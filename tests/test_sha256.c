/* SPDX-License-Identifier: BSD-3-Clause */
/* SHA-256 and HMAC-from-midstates against OpenSSL: every message length
 * 0..300 (so every padding case and 1..5 blocks), SHA-NI and portable C
 * against each other, and HMAC for keys of 0..200 octets (longer than a
 * block, the key is hashed first). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>

#include "check.h"
#include "kdf.h"
#include "sha256.h"

int main(void)
{
	uint8_t msg[320], got[32], want[32];

	srand(1);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)rand();

	for (size_t len = 0; len <= 300; len++) {
		akma_sha256(msg, len, got);
		SHA256(msg, len, want);
		CHECK(memcmp(got, want, 32) == 0, "SHA-256 of %zu octets", len);
	}

	for (size_t blocks = 1; blocks <= 5; blocks++) {
		uint32_t a[8], b[8];
		memcpy(a, akma_sha256_iv, sizeof(a));
		memcpy(b, akma_sha256_iv, sizeof(b));
		akma_sha256_compress(a, msg, blocks);
		akma_sha256_compress_generic(b, msg, blocks);
		CHECK(memcmp(a, b, sizeof(a)) == 0, "dispatched vs generic, %zu blocks", blocks);
	}
	printf("SHA-NI %s\n", akma_sha256_has_shani() ? "in use" : "not available: C only");

	for (size_t key_len = 0; key_len <= 200; key_len++) {
		struct akma_hmac_midstate ms;
		unsigned out_len = 32;
		size_t msg_len = (key_len * 7) % 300;

		akma_hmac_midstate(msg + 10, key_len, &ms);
		akma_hmac_from_midstate(&ms, msg, msg_len, got);
		HMAC(EVP_sha256(), msg + 10, (int)key_len, msg, msg_len, want, &out_len);
		CHECK(memcmp(got, want, 32) == 0, "HMAC key %zu octets, msg %zu", key_len, msg_len);
	}
	return check_done("test_sha256");
}
