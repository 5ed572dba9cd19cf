/* SPDX-License-Identifier: BSD-3-Clause */
#include "err.h"

#include <stdlib.h>
#include <string.h>

struct err_text {
	const char *name;
	const char *text;
};

static const struct err_text err_texts[AKMA_E_LAST - AKMA_E_BASE] = {
	[AKMA_E_HEX_ODD - AKMA_E_BASE] = {"HEX_ODD", "odd number of hex digits"},
	[AKMA_E_HEX_CHAR - AKMA_E_BASE] = {"HEX_CHAR", "not a hex digit"},
	[AKMA_E_KEY_LENGTH - AKMA_E_BASE] = {"KEY_LENGTH", "key must be 32 octets (64 hex digits)"},
	[AKMA_E_SUPI_EMPTY - AKMA_E_BASE] = {"SUPI_EMPTY", "SUPI is empty"},
	[AKMA_E_SUPI_TOO_LONG - AKMA_E_BASE] = {"SUPI_TOO_LONG", "SUPI longer than 253 octets"},
	[AKMA_E_SUPI_TYPE -
		AKMA_E_BASE] = {"SUPI_TYPE", "SUPI type not supported (only imsi- and nai-)"},
	[AKMA_E_SUPI_IMSI_CHAR - AKMA_E_BASE] = {"SUPI_IMSI_CHAR", "IMSI must be decimal digits"},
	[AKMA_E_SUPI_IMSI_LEN - AKMA_E_BASE] = {"SUPI_IMSI_LEN", "IMSI must be 5 to 15 digits"},
	[AKMA_E_SUPI_NAI - AKMA_E_BASE] = {"SUPI_NAI", "NAI must be user@realm in printable ASCII "
						       "with a valid realm"},
	[AKMA_E_SUPI_FORM - AKMA_E_BASE] = {"SUPI_FORM",
					    "SUPI must be imsi-DIGITS, nai-USER@REALM, "
					    "bare IMSI digits or a bare NAI"},
	[AKMA_E_FQDN_EMPTY - AKMA_E_BASE] = {"FQDN_EMPTY", "FQDN is empty"},
	[AKMA_E_FQDN_TOO_LONG - AKMA_E_BASE] = {"FQDN_TOO_LONG", "FQDN longer than 253 octets"},
	[AKMA_E_FQDN_LABEL -
		AKMA_E_BASE] = {"FQDN_LABEL", "FQDN label empty or longer than 63 octets"},
	[AKMA_E_FQDN_CHAR -
		AKMA_E_BASE] = {"FQDN_CHAR", "FQDN may hold only letters, digits, '-' and '.'"},
	[AKMA_E_FQDN_HYPHEN - AKMA_E_BASE] = {"FQDN_HYPHEN", "FQDN label begins or ends with '-'"},
	[AKMA_E_UA_ID_LEN - AKMA_E_BASE] = {"UA_ID_LEN", "Ua* protocol identifier must be 5 octets "
							 "(10 hex digits)"},
	[AKMA_E_AF_ID_FORM - AKMA_E_BASE] = {"AF_ID_FORM", "AF_ID must be FQDN or FQDN;ua=HEX10"},
	[AKMA_E_RID - AKMA_E_BASE] = {"RID", "routing indicator must be 1 to 4 digits"},
	[AKMA_E_MCC - AKMA_E_BASE] = {"MCC", "MCC must be 3 digits"},
	[AKMA_E_MNC - AKMA_E_BASE] = {"MNC", "MNC must be 2 or 3 digits"},
	[AKMA_E_NOSPACE - AKMA_E_BASE] = {"NOSPACE", "output buffer too small"},
	[AKMA_E_KDF_PARAM - AKMA_E_BASE] = {"KDF_PARAM", "KDF parameter longer than 65535 octets"},
	[AKMA_E_MB_ARCH -
		AKMA_E_BASE] = {"MB_ARCH", "ipsec-mb manager unknown or not supported by this CPU"},
	[AKMA_E_MB_JOB - AKMA_E_BASE] = {"MB_JOB", "ipsec-mb failed a job"},
	[AKMA_E_AKID_LEN - AKMA_E_BASE] = {"AKID_LEN", "A-KID must be 1 to 253 octets"},
	[AKMA_E_UEID_LEN - AKMA_E_BASE] = {"UEID_LEN", "SUPI/GPSI must be 1 to 260 octets"},
	[AKMA_E_AKID_IN_USE -
		AKMA_E_BASE] = {"AKID_IN_USE", "A-KID already registered for another subscriber"},
	[AKMA_E_STORE_FULL - AKMA_E_BASE] = {"STORE_FULL", "context store is full"},
	[AKMA_E_WIRE_SHORT - AKMA_E_BASE] = {"WIRE_SHORT", "datagram too short"},
	[AKMA_E_WIRE_MAGIC - AKMA_E_BASE] = {"WIRE_MAGIC", "not an akmad datagram"},
	[AKMA_E_WIRE_VERSION -
		AKMA_E_BASE] = {"WIRE_VERSION", "wire protocol version not supported"},
	[AKMA_E_WIRE_PLAIN - AKMA_E_BASE] = {"WIRE_PLAIN", "plain datagram not allowed here"},
	[AKMA_E_WIRE_STALE -
		AKMA_E_BASE] = {"WIRE_STALE", "datagram timestamp outside the freshness window"},
	[AKMA_E_WIRE_AUTH - AKMA_E_BASE] = {"WIRE_AUTH", "datagram failed authentication"},
	[AKMA_E_WIRE_REPLAY - AKMA_E_BASE] = {"WIRE_REPLAY", "datagram replayed or too old"},
	[AKMA_E_WIRE_SENDERS - AKMA_E_BASE] = {"WIRE_SENDERS", "too many live senders"},
	[AKMA_E_WIRE_SIZE - AKMA_E_BASE] = {"WIRE_SIZE", "datagram too large"},
	[AKMA_E_WIRE_MSG - AKMA_E_BASE] = {"WIRE_MSG", "message truncated or overlong"},
	[AKMA_E_WIRE_FIELD - AKMA_E_BASE] = {"WIRE_FIELD", "malformed message field"},
	[AKMA_E_WIRE_TYPE - AKMA_E_BASE] = {"WIRE_TYPE", "not an engine request type"},
	[AKMA_E_REPL_VERSION -
		AKMA_E_BASE] = {"REPL_VERSION", "replication record of an unknown format version"},
	[AKMA_E_REPL_FORMAT - AKMA_E_BASE] = {"REPL_FORMAT", "replication record malformed"},
	[AKMA_E_REPL_UNWRAP - AKMA_E_BASE] = {"REPL_UNWRAP",
					      "replication record does not unwrap (wrong KEK, "
					      "tampered, or under another key name)"},
};

static const struct err_text *lookup(int err)
{
	err = abs(err);
	if (err > AKMA_E_BASE && err < AKMA_E_LAST)
		return &err_texts[err - AKMA_E_BASE];
	return NULL;
}

const char *akma_strerror(int err)
{
	const struct err_text *t = lookup(err);

	if (t)
		return t->text;
	if (abs(err) >= AKMA_E_BASE)
		return "unknown akma error";
	return strerror(abs(err)); /* glibc's table is static and thread-safe */
}

const char *akma_errname(int err)
{
	const struct err_text *t = lookup(err);

	return t ? t->name : NULL;
}
