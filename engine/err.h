/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_ERR_H
#define AKMA_ERR_H

/*
 * akmad's own error codes. Functions return 0 or a negative value: either a
 * negative errno (-ENOMEM, -EINVAL...) or one of these, which say precisely
 * which rule an input broke. They live above errno's range so the two never
 * collide, and akma_strerror() explains both.
 */

enum akma_err {
	AKMA_E_BASE = 4096,
	AKMA_E_HEX_ODD,        /* hex string has an odd number of digits */
	AKMA_E_HEX_CHAR,       /* hex string has a non-hex character */
	AKMA_E_KEY_LENGTH,     /* key is not 32 octets (64 hex digits) */
	AKMA_E_SUPI_EMPTY,     /* SUPI is empty */
	AKMA_E_SUPI_TOO_LONG,  /* SUPI longer than 253 octets */
	AKMA_E_SUPI_TYPE,      /* SUPI type prefix not supported (gci-, gli-, ...) */
	AKMA_E_SUPI_IMSI_CHAR, /* IMSI has a non-digit */
	AKMA_E_SUPI_IMSI_LEN,  /* IMSI not 5..15 digits */
	AKMA_E_SUPI_NAI,       /* NAI malformed (needs user@realm, printable ASCII) */
	AKMA_E_SUPI_FORM,      /* neither imsi-/nai- nor a bare IMSI or NAI */
	AKMA_E_FQDN_EMPTY,     /* FQDN is empty */
	AKMA_E_FQDN_TOO_LONG,  /* FQDN longer than 253 octets */
	AKMA_E_FQDN_LABEL,     /* FQDN label empty or longer than 63 octets */
	AKMA_E_FQDN_CHAR,      /* FQDN has a character outside letters, digits, '-', '.' */
	AKMA_E_FQDN_HYPHEN,    /* FQDN label begins or ends with '-' */
	AKMA_E_UA_ID_LEN,      /* Ua* security protocol identifier not 5 octets */
	AKMA_E_AF_ID_FORM,     /* AF_ID text is not FQDN or FQDN;ua=HEX10 */
	AKMA_E_RID,            /* routing indicator not 1..4 decimal digits */
	AKMA_E_MCC,            /* MCC not 3 decimal digits */
	AKMA_E_MNC,            /* MNC not 2 or 3 decimal digits */
	AKMA_E_NOSPACE,        /* output buffer too small */
	AKMA_E_KDF_PARAM,      /* a KDF parameter longer than 65535 octets */
	AKMA_E_MB_ARCH,        /* ipsec-mb manager unknown or not supported by this CPU */
	AKMA_E_MB_JOB,         /* ipsec-mb refused or failed a job */
	AKMA_E_AKID_LEN,       /* A-KID empty or longer than 253 octets */
	AKMA_E_UEID_LEN,       /* UE identity empty or too long */
	AKMA_E_AKID_IN_USE,    /* A-KID already registered for another UE */
	AKMA_E_STORE_FULL,     /* context store full */
	AKMA_E_WIRE_SHORT,     /* datagram shorter than its header and tag */
	AKMA_E_WIRE_MAGIC,     /* not an akmad datagram */
	AKMA_E_WIRE_VERSION,   /* protocol version not supported */
	AKMA_E_WIRE_PLAIN,     /* plain datagram where only sealed ones are allowed */
	AKMA_E_WIRE_STALE,     /* timestamp outside the freshness window */
	AKMA_E_WIRE_AUTH,      /* authentication failed */
	AKMA_E_WIRE_REPLAY,    /* datagram replayed or too old for its sender's window */
	AKMA_E_WIRE_SENDERS,   /* replay table full of live senders */
	AKMA_E_WIRE_SIZE,      /* datagram would exceed the maximum size */
	AKMA_E_WIRE_MSG,       /* message header truncated or length past the body */
	AKMA_E_WIRE_FIELD,     /* a message field is malformed */
	AKMA_E_WIRE_TYPE,      /* message type is not an engine request */
	AKMA_E_REPL_VERSION,   /* replication record of an unknown format version */
	AKMA_E_REPL_FORMAT,    /* replication record malformed */
	AKMA_E_REPL_UNWRAP,    /* replication record fails to unwrap (KEK, tamper, key name) */
	AKMA_E_LAST,
};

/* A one-line explanation of err, an akma_err or errno value, positive or
 * negative. Never NULL; thread-safe; the string is static. */
const char *akma_strerror(int err);

/* The short symbolic name ("SUPI_IMSI_LEN"), or NULL for errno values. */
const char *akma_errname(int err);

#endif
