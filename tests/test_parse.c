/* SPDX-License-Identifier: BSD-3-Clause */
/* Every acceptance and rejection rule of the SUPI, FQDN, AF_ID, hex and
 * key-length parsers and of the A-KID helper, each with the error code that
 * must name it; and the text forms round-tripping. */
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "hex.h"
#include "kdf.h"

static void supi_case(const char *text, int want_rc, int want_type, const char *want_value)
{
	struct akma_supi supi;
	int rc = akma_supi_parse(text, strlen(text), &supi);

	CHECK(rc == want_rc, "SUPI '%.40s': got %d (%s), want %d (%s)", text, rc,
	      akma_errname(rc) ? akma_errname(rc) : "ok", want_rc,
	      akma_errname(want_rc) ? akma_errname(want_rc) : "ok");
	if (rc == 0 && want_rc == 0) {
		CHECK((int)supi.type == want_type, "SUPI '%s' type", text);
		CHECK(strcmp(supi.value, want_value) == 0, "SUPI '%s' KDF input '%s'", text,
		      supi.value);
		CHECK(supi.len == strlen(want_value), "SUPI '%s' length", text);
	}
	if (rc != 0)
		CHECK(supi.len == 0 && supi.value[0] == '\0', "rejected SUPI left no value");
}

static void fqdn_case(const char *text, int want)
{
	int rc = akma_fqdn_check(text, strlen(text));
	CHECK(rc == want, "FQDN '%.60s': got %s, want %s", text,
	      akma_errname(rc) ? akma_errname(rc) : "ok",
	      akma_errname(want) ? akma_errname(want) : "ok");
}

static void af_id_case(const char *text, const uint8_t *def, int want, const char *fqdn,
		       const char *ua_hex)
{
	struct akma_af_id af;
	int rc = akma_af_id_parse(text, strlen(text), def, &af);

	CHECK(rc == want, "AF_ID '%s': got %s, want %s", text,
	      akma_errname(rc) ? akma_errname(rc) : "ok",
	      akma_errname(want) ? akma_errname(want) : "ok");
	if (rc == 0 && want == 0) {
		char ua[11];
		akma_hex_encode(af.ua_id, 5, ua);
		CHECK(af.fqdn_len == strlen(fqdn) && memcmp(af.fqdn, fqdn, af.fqdn_len) == 0,
		      "AF_ID '%s' FQDN", text);
		CHECK(strcmp(ua, ua_hex) == 0, "AF_ID '%s' Ua* id %s", text, ua);
	}
}

static void hex_case(const char *text, size_t want_len, int want)
{
	uint8_t out[64];
	memset(out, 0x77, sizeof(out));
	int rc = akma_hex_decode(text, strlen(text), out, want_len, -AKMA_E_KEY_LENGTH);
	CHECK(rc == want, "hex '%.70s' (%zu octets): got %s, want %s", text, want_len,
	      akma_errname(rc) ? akma_errname(rc) : "ok",
	      akma_errname(want) ? akma_errname(want) : "ok");
	if (rc != 0) {
		int zero = 1;
		for (size_t i = 0; i < want_len; i++)
			zero &= out[i] == 0;
		CHECK(zero, "hex '%s': output wiped on error", text);
	}
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void supi_rules(void)
{
	supi_case("imsi-001010123456789", 0, AKMA_SUPI_IMSI, "001010123456789");
	supi_case("001010123456789", 0, AKMA_SUPI_IMSI, "001010123456789");
	supi_case("imsi-00101", 0, AKMA_SUPI_IMSI, "00101");
	supi_case("nai-user1@example.org", 0, AKMA_SUPI_NAI, "user1@example.org");
	supi_case("user1@example.org", 0, AKMA_SUPI_NAI, "user1@example.org");
	supi_case("nai-type4.rid678.schid0.userid0999999999@5gc.mnc015.mcc234.3gppnetwork.org", 0,
		  AKMA_SUPI_NAI,
		  "type4.rid678.schid0.userid0999999999@5gc.mnc015.mcc234.3gppnetwork.org");

	supi_case("", -AKMA_E_SUPI_EMPTY, 0, NULL);
	supi_case("imsi-", -AKMA_E_SUPI_IMSI_LEN, 0, NULL);
	supi_case("imsi-0010", -AKMA_E_SUPI_IMSI_LEN, 0, NULL);
	supi_case("imsi-0010101234567890", -AKMA_E_SUPI_IMSI_LEN, 0, NULL);
	supi_case("0010101234567890", -AKMA_E_SUPI_IMSI_LEN, 0, NULL);
	supi_case("1234", -AKMA_E_SUPI_IMSI_LEN, 0, NULL);
	supi_case("imsi-00101012345678x", -AKMA_E_SUPI_IMSI_CHAR, 0, NULL);
	supi_case("imsi- 001010123456789", -AKMA_E_SUPI_IMSI_CHAR, 0, NULL);
	supi_case("IMSI-001010123456789", -AKMA_E_SUPI_FORM, 0, NULL);
	supi_case("gci-user@example.org", -AKMA_E_SUPI_TYPE, 0, NULL);
	supi_case("gli-something", -AKMA_E_SUPI_TYPE, 0, NULL);
	supi_case("nai-", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-user", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-@example.org", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-user@", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-us er@example.org", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-user@exa_mple.org", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-user@example.org.", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-us\x01r@example.org", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("nai-us\xc3\xa9r@example.org", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("user@@example.org", -AKMA_E_SUPI_NAI, 0, NULL);
	supi_case("hello", -AKMA_E_SUPI_FORM, 0, NULL);
	supi_case("msisdn-123", -AKMA_E_SUPI_FORM, 0, NULL);

	/* 253 octets of NAI is the limit, with or without the prefix. */
	char *user = repeat('u', 253 - 12), nai[300];
	snprintf(nai, sizeof(nai), "nai-%s@example.org", user);
	supi_case(nai, 0, AKMA_SUPI_NAI, nai + 4);
	supi_case(nai + 4, 0, AKMA_SUPI_NAI, nai + 4);
	snprintf(nai, sizeof(nai), "nai-u%s@example.org", user);
	supi_case(nai, -AKMA_E_SUPI_TOO_LONG, 0, NULL);
	supi_case(nai + 4, -AKMA_E_SUPI_TOO_LONG, 0, NULL);
	free(user);

	/* The prefixed form round-trips. */
	struct akma_supi supi;
	char buf[300];
	CHECK(akma_supi_parse("208930000000001", 15, &supi) == 0, "bare IMSI");
	CHECK(akma_supi_format(&supi, buf, sizeof(buf)) == 20 &&
		      strcmp(buf, "imsi-208930000000001") == 0,
	      "format %s", buf);
	CHECK(akma_supi_format(&supi, buf, 20) == -AKMA_E_NOSPACE, "format without room");
}

static void fqdn_rules(void)
{
	fqdn_case("af.example.com", 0);
	fqdn_case("a", 0);
	fqdn_case("AF-1.Example.COM", 0);
	fqdn_case("123.example.com", 0);
	fqdn_case("", -AKMA_E_FQDN_EMPTY);
	fqdn_case(".", -AKMA_E_FQDN_LABEL);
	fqdn_case("af..example.com", -AKMA_E_FQDN_LABEL);
	fqdn_case(".af.example.com", -AKMA_E_FQDN_LABEL);
	fqdn_case("af.example.com.", -AKMA_E_FQDN_LABEL);
	fqdn_case("-af.example.com", -AKMA_E_FQDN_HYPHEN);
	fqdn_case("af-.example.com", -AKMA_E_FQDN_HYPHEN);
	fqdn_case("af.example.com-", -AKMA_E_FQDN_HYPHEN);
	fqdn_case("af_1.example.com", -AKMA_E_FQDN_CHAR);
	fqdn_case("af example.com", -AKMA_E_FQDN_CHAR);
	fqdn_case("af.exa\xc3\xa9mple.com", -AKMA_E_FQDN_CHAR);
	fqdn_case("af;ua=0100000007", -AKMA_E_FQDN_CHAR);

	char *label63 = repeat('a', 63), *label64 = repeat('a', 64), buf[600];
	snprintf(buf, sizeof(buf), "%s.com", label63);
	fqdn_case(buf, 0);
	snprintf(buf, sizeof(buf), "%s.com", label64);
	fqdn_case(buf, -AKMA_E_FQDN_LABEL);
	/* 4 labels of 63 + 3 dots = 255 > 253; 3 x 63 + 61 + 3 = 253 fits. */
	snprintf(buf, sizeof(buf), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	fqdn_case(buf, 0);
	snprintf(buf, sizeof(buf), "%s.%s.%s.%.62s", label63, label63, label63, label63);
	fqdn_case(buf, -AKMA_E_FQDN_TOO_LONG);
	free(label63);
	free(label64);
}

static void af_id_rules(void)
{
	af_id_case("af.example.com;ua=0100000007", NULL, 0, "af.example.com", "0100000007");
	af_id_case("af.example.com;ua=01000113AB", NULL, 0, "af.example.com", "01000113ab");
	af_id_case("af.example.com", akma_ua_id_http_digest, 0, "af.example.com", "0100000002");
	af_id_case("af.example.com;ua=0000000000", akma_ua_id_tls13_psk, 0, "af.example.com",
		   "0000000000");
	af_id_case("af.example.com", NULL, -AKMA_E_AF_ID_FORM, NULL, NULL);
	af_id_case("af.example.com;", NULL, -AKMA_E_AF_ID_FORM, NULL, NULL);
	af_id_case("af.example.com;ua", NULL, -AKMA_E_AF_ID_FORM, NULL, NULL);
	af_id_case("af.example.com;UA=0100000007", NULL, -AKMA_E_AF_ID_FORM, NULL, NULL);
	af_id_case("af.example.com;id=0100000007", NULL, -AKMA_E_AF_ID_FORM, NULL, NULL);
	af_id_case("af.example.com;ua=", NULL, -AKMA_E_UA_ID_LEN, NULL, NULL);
	af_id_case("af.example.com;ua=01000000", NULL, -AKMA_E_UA_ID_LEN, NULL, NULL);
	af_id_case("af.example.com;ua=010000000700", NULL, -AKMA_E_UA_ID_LEN, NULL, NULL);
	af_id_case("af.example.com;ua=010000007", NULL, -AKMA_E_HEX_ODD, NULL, NULL);
	af_id_case("af.example.com;ua=01000000zz", NULL, -AKMA_E_HEX_CHAR, NULL, NULL);
	af_id_case(";ua=0100000007", NULL, -AKMA_E_FQDN_EMPTY, NULL, NULL);
	af_id_case("af..com;ua=0100000007", NULL, -AKMA_E_FQDN_LABEL, NULL, NULL);
	af_id_case("", akma_ua_id_default, -AKMA_E_FQDN_EMPTY, NULL, NULL);

	/* Octets and text form. */
	struct akma_af_id af;
	uint8_t octets[AKMA_AF_ID_MAX];
	char text[300];
	CHECK(akma_af_id_parse("af.example.com;ua=0100000007", 28, NULL, &af) == 0, "parse");
	CHECK(akma_af_id_octets(&af, octets) == 19 && memcmp(octets, "af.example.com", 14) == 0 &&
		      memcmp(octets + 14, "\x01\x00\x00\x00\x07", 5) == 0,
	      "AF_ID octets are FQDN || Ua* id");
	CHECK(akma_af_id_format(&af, text, sizeof(text)) == 28 &&
		      strcmp(text, "af.example.com;ua=0100000007") == 0,
	      "format: %s", text);
	CHECK(akma_af_id_format(&af, text, 28) == -AKMA_E_NOSPACE, "format without room");
	uint8_t s[AKMA_KAF_S_MAX];
	CHECK(akma_kaf_s(octets, 19, s) == 22 && s[0] == 0x82 && s[20] == 0 && s[21] == 19,
	      "K_AF S layout");
}

static void hex_rules(void)
{
	const char *key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	const char *key_upper = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
	uint8_t a[32], b[32];

	hex_case(key, 32, 0);
	hex_case(key_upper, 32, 0);
	CHECK(akma_hex_decode(key, 64, a, 32, -1) == 0 &&
		      akma_hex_decode(key_upper, 64, b, 32, -1) == 0 && memcmp(a, b, 32) == 0 &&
		      a[31] == 0x1f && a[10] == 0x0a,
	      "either case, same octets");
	hex_case("", 32, -AKMA_E_KEY_LENGTH);
	hex_case("0", 32, -AKMA_E_HEX_ODD);
	hex_case("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", 32,
		 -AKMA_E_HEX_ODD);
	hex_case("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e", 32,
		 -AKMA_E_KEY_LENGTH);
	hex_case("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 32,
		 -AKMA_E_KEY_LENGTH);
	hex_case("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 32,
		 -AKMA_E_HEX_CHAR);
	hex_case("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1 ", 32,
		 -AKMA_E_HEX_CHAR);
	hex_case("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 32,
		 -AKMA_E_HEX_CHAR);
	/* Every non-hex octet value is refused. */
	for (int c = 0; c < 256; c++) {
		int is_hex =
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		char two[3] = {'0', (char)c, 0};
		uint8_t o;
		int rc = akma_hex_decode(two, 2, &o, 1, -AKMA_E_KEY_LENGTH);
		CHECK(is_hex ? rc == 0 : rc == -AKMA_E_HEX_CHAR, "octet 0x%02x", c);
	}
	char out[7];
	akma_hex_encode((const uint8_t *)"\x01\xab\xff", 3, out);
	CHECK(strcmp(out, "01abff") == 0, "encode is lower case: %s", out);
	/* Every octet value, at every offset of the sixteen-octet steps and
	 * their tail. */
	uint8_t all[256 + 15];
	char hex[2 * sizeof(all) + 1], want[2 * sizeof(all) + 1];
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)(i * 167 + 13);
	for (size_t off = 0; off < 16; off++) {
		size_t n = sizeof(all) - off;
		for (size_t i = 0; i < n; i++)
			snprintf(want + 2 * i, 3, "%02x", all[off + i]);
		memset(hex, 'X', sizeof(hex));
		akma_hex_encode(all + off, n, hex);
		CHECK(memcmp(hex, want, 2 * n + 1) == 0, "encode of %zu octets at offset %zu", n,
		      off);
	}
}

static void akid_rules(void)
{
	uint8_t atid[32];
	char buf[AKMA_AKID_MAX + 1];

	for (int i = 0; i < 32; i++)
		atid[i] = (uint8_t)(0xfb + i);
	int n = akma_akid_compose(atid, "0", "001", "01", buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf), "compose: %d", n);
	CHECK(strncmp(buf, "0.", 2) == 0 && strstr(buf, "@akma.5gc.mnc001.mcc001.3gppnetwork.org"),
	      "A-KID form: %s", buf);
	/* base64url, no padding: 32 octets -> 43 characters of [A-Za-z0-9_-] */
	const char *at = strchr(buf, '@');
	CHECK(at && at - (buf + 2) == 43, "A-TID as 43 base64url characters");
	CHECK(strspn(buf + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
		      43,
	      "base64url alphabet: %s", buf);
	CHECK(strncmp(buf + 2, "-_z9", 4) == 0, "0xfb 0xfc 0xfd -> -_z9: %s", buf);
	CHECK(akma_akid_compose(atid, "1234", "234", "015", buf, sizeof(buf)) > 0 &&
		      strstr(buf, "@akma.5gc.mnc015.mcc234.3gppnetwork.org"),
	      "3-digit MNC kept: %s", buf);
	CHECK(akma_akid_compose(atid, "", "001", "01", buf, sizeof(buf)) == -AKMA_E_RID,
	      "empty RID");
	CHECK(akma_akid_compose(atid, "12345", "001", "01", buf, sizeof(buf)) == -AKMA_E_RID,
	      "5-digit RID");
	CHECK(akma_akid_compose(atid, "12a", "001", "01", buf, sizeof(buf)) == -AKMA_E_RID,
	      "RID letters");
	CHECK(akma_akid_compose(atid, "0", "01", "01", buf, sizeof(buf)) == -AKMA_E_MCC,
	      "short MCC");
	CHECK(akma_akid_compose(atid, "0", "0011", "01", buf, sizeof(buf)) == -AKMA_E_MCC,
	      "long MCC");
	CHECK(akma_akid_compose(atid, "0", "001", "1", buf, sizeof(buf)) == -AKMA_E_MNC,
	      "short MNC");
	CHECK(akma_akid_compose(atid, "0", "001", "0001", buf, sizeof(buf)) == -AKMA_E_MNC,
	      "long MNC");
	CHECK(akma_akid_compose(atid, "0", "001", "0x", buf, sizeof(buf)) == -AKMA_E_MNC,
	      "MNC letters");
	CHECK(akma_akid_compose(atid, "0", "001", "01", buf, 20) == -AKMA_E_NOSPACE && buf[0] == 0,
	      "no room");
}

static void kdf_rules(void)
{
	uint8_t s[16], big[1];
	struct akma_kdf_param p = {big, 70000};
	CHECK(akma_kdf_s(0x80, &p, 1, s, sizeof(s)) == -AKMA_E_KDF_PARAM, "parameter > 65535");
	struct akma_kdf_param q = {(const uint8_t *)"0123456789abcdef", 16};
	CHECK(akma_kdf_s(0x80, &q, 1, s, sizeof(s)) == -AKMA_E_NOSPACE, "S without room");
	CHECK(akma_kdf_s(0x80, &q, 0, s, sizeof(s)) == 1 && s[0] == 0x80, "FC alone");
	struct akma_kdf_param empty = {NULL, 0};
	CHECK(akma_kdf_s(0x81, &empty, 1, s, sizeof(s)) == 3 && s[1] == 0 && s[2] == 0,
	      "empty parameter has L = 0x0000");
}

static void error_texts(void)
{
	for (int e = AKMA_E_BASE + 1; e < AKMA_E_LAST; e++) {
		CHECK(akma_errname(-e) != NULL && akma_strerror(-e)[0] != '\0', "error %d named",
		      e);
		CHECK(strcmp(akma_strerror(-e), "unknown akma error") != 0, "error %d explained",
		      e);
	}
	CHECK(akma_errname(-22) == NULL && strlen(akma_strerror(-22)) > 0,
	      "errno values pass through");
}

int main(void)
{
	supi_rules();
	fqdn_rules();
	af_id_rules();
	hex_rules();
	akid_rules();
	kdf_rules();
	error_texts();
	return check_done("test_parse");
}
