/* SPDX-License-Identifier: BSD-3-Clause */
/* The SBI front end's TLS (see sbi_priv.h): HTTP/2 over TLS as RFC 9113
 * section 9.2 asks, and nothing else. */
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sbi_priv.h"
#include "secmem.h"

/* OpenSSL's record buffers hold the plaintext of every request and answer
 * (K_AKMA, K_AF), and its heap the private key: all of it on the secret
 * heap. CRYPTO_set_mem_functions only works before OpenSSL's first
 * allocation, hence a constructor; akma_sbi_create() says so if it came
 * too late. */
static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return akma_secmem_alloc(n);
}
static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return akma_secmem_realloc(p, n);
}
static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	akma_secmem_free(p);
}

int akma_sbi_tls_on_secret_heap;

__attribute__((constructor)) static void openssl_on_the_secret_heap(void)
{
	akma_sbi_tls_on_secret_heap =
		CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
}

/* ALPN: h2 or nothing (RFC 9113 3.2: no HTTP/1.1 here). */
static int select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		     const unsigned char *in, unsigned inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	for (unsigned i = 0; i + 1 <= inlen && i + 1 + in[i] <= inlen; i += 1 + in[i])
		if (in[i] == 2 && in[i + 1] == 'h' && in[i + 2] == '2') {
			*out = in + i + 1;
			*outlen = 2;
			return SSL_TLSEXT_ERR_OK;
		}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

SSL_CTX *akma_sbi_tls_context(const struct akma_sbi_params *p, char *why, size_t why_size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	unsigned long e;
	if (!ctx) {
		snprintf(why, why_size, "sbi TLS: out of memory");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* TLS 1.2 for HTTP/2: ephemeral key exchange and AEAD only (RFC 9113 9.2.2). */
	SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_select_cb(ctx, select_h2, NULL);
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, p->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, p->tls_key ? p->tls_key : "", SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		e = ERR_peek_last_error();
		snprintf(why, why_size, "sbi TLS: certificate %s, key %s: %s", p->tls_cert,
			 p->tls_key ? p->tls_key : "(none)",
			 e ? ERR_reason_error_string(e) : "refused");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (p->tls_client_ca && p->tls_client_ca[0]) {
		/* Mutual TLS (TS 33.501 13.1.0): a client certificate that chains to
		 * the bundle, in its validity period, fit for TLS client use (key
		 * usage and extended key usage, X509_PURPOSE_SSL_CLIENT), or no
		 * handshake. */
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(p->tls_client_ca);
		ERR_clear_error();
		if (!names || SSL_CTX_load_verify_locations(ctx, p->tls_client_ca, NULL) != 1) {
			e = ERR_peek_last_error();
			snprintf(why, why_size, "sbi.tls_client_ca %s: %s", p->tls_client_ca,
				 e ? ERR_reason_error_string(e) : "no CA certificate in it");
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
		/* No session resumption: every connection shows its certificate. */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
	}
	return ctx;
}
