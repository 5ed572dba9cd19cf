/* SPDX-License-Identifier: BSD-3-Clause */
/* The SBI's trust boundary pieces that need no network: base64url (RFC
 * 4648 5, no padding) as JWS uses it, the consumer policy's parser and its
 * AF check. The token and certificate paths run end to end in
 * integration_trust.sh. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "sbi_policy.h"
#include "sbi_token.h"

static char dir[] = "/tmp/akma-auth-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void base64url(void)
{
	uint8_t out[16];
	static const struct {
		const char *in;
		const char *out;
	} ok[] = {{"Zg", "f"},
		  {"Zm8", "fo"},
		  {"Zm9v", "foo"},
		  {"Zm9vYg", "foob"},
		  {"_-8", "\xff\xef"}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long n = akma_base64url_decode(ok[i].in, strlen(ok[i].in), out, sizeof(out));
		CHECK(n == (long)strlen(ok[i].out) && !memcmp(out, ok[i].out, (size_t)n), "%s",
		      ok[i].in);
	}
	static const char *const bad[] = {"Zg==", "Z", "Zm9v+", "Zm9v/", "Zh", "Zm9", "a b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(akma_base64url_decode(bad[i], strlen(bad[i]), out, sizeof(out)) == -1,
		      "'%s' refused (padding, a length no encoding has, +/, non-canonical bits)",
		      bad[i]);
	CHECK(akma_base64url_decode("Zm9vYmFy", 8, out, 5) == -1, "too little room");
}

static const uint8_t dflt[5] = {1, 0, 0, 0, 7};

static void refused(const char *text, const char *want, const char *what)
{
	char why[512] = "";
	struct akma_sbi_policy *p =
		akma_sbi_policy_load(write_file("p.conf", text), dflt, why, sizeof(why));
	CHECK(!p && strstr(why, want), "%s: %s", what, why);
	akma_sbi_policy_free(p);
}

static void policy(void)
{
	char why[512];
	const char *good = "# a comment\n"
			   "[consumer ausf-1]\nrole = ausf\n"
			   "nf_instance_id = 3FA85F64-5717-4562-B3FC-2C963F66AFA6\n"
			   "cert_dns = ausf-1.example.org\n"
			   "[consumer app-a]\nrole = af\nnf_instance_id = "
			   "9b2c3d4e-0000-4000-8000-00000000000a\n"
			   "afs = af.example.com;ua=0100011301, af.example.com;ua=0100000007, "
			   "bare.example.com\n"
			   "supi_access = true\n";
	struct akma_sbi_policy *p =
		akma_sbi_policy_load(write_file("p.conf", good), dflt, why, sizeof(why));
	CHECK(p != NULL, "a good policy loads: %s", why);
	if (!p)
		return;
	const struct akma_sbi_consumer *a =
		akma_sbi_policy_by_id(p, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
	CHECK(a && a->role == AKMA_ROLE_AUSF && !strcmp(a->name, "ausf-1"), "by id, any case");
	CHECK(akma_sbi_policy_by_dns(p, "AUSF-1.example.org") == a, "by certificate DNS name");
	CHECK(!akma_sbi_policy_by_id(p, "00000000-0000-4000-8000-000000000000"), "an unknown id");
	const struct akma_sbi_consumer *af =
		akma_sbi_policy_by_id(p, "9b2c3d4e-0000-4000-8000-00000000000a");
	CHECK(af && af->role == AKMA_ROLE_AF && af->supi_access && af->n_afs == 3, "the AF");
	struct akma_af_id id;
	akma_af_id_parse("af.example.com", 14, dflt, &id);
	CHECK(af && akma_sbi_policy_af(af, &id, 0) && id.ua_id[3] == 0x13 && id.ua_id[4] == 0x01,
	      "a bare FQDN takes the first Ua* id listed for it");
	akma_af_id_parse("af.example.com;ua=0100000007", 28, NULL, &id);
	CHECK(af && akma_sbi_policy_af(af, &id, 1), "an explicit Ua* id of its own");
	akma_af_id_parse("af.example.com;ua=0100000002", 28, NULL, &id);
	CHECK(af && !akma_sbi_policy_af(af, &id, 1), "an explicit Ua* id not its own");
	akma_af_id_parse("AF.example.com", 14, dflt, &id);
	CHECK(af && !akma_sbi_policy_af(af, &id, 0),
	      "the FQDN's octets exactly (KDF input): no case folding");
	akma_af_id_parse("bare.example.com;ua=0100000007", 30, NULL, &id);
	CHECK(af && akma_sbi_policy_af(af, &id, 1),
	      "a bare FQDN in the policy takes sbi.default_ua");
	akma_af_id_parse("other.example.com", 17, dflt, &id);
	CHECK(af && !akma_sbi_policy_af(af, &id, 0), "an AF name not its own");
	akma_sbi_policy_free(p);

	refused("[consumer x]\nrole = af\ncolour = blue\n", "p.conf:3: unknown key 'colour'",
		"an unknown key");
	refused("[consumers x]\n", "p.conf:1: unknown section [consumers x]", "an unknown section");
	refused("[consumer x]\nrole = udm\n", "p.conf:2: key 'role'", "a bad role");
	refused("[consumer x]\nrole = af\nnf_instance_id = 12345\n",
		"p.conf:3: key 'nf_instance_id'", "a bad UUID");
	refused("[consumer x]\nrole = af\nnf_instance_id = 9b2c3d4e-0000-4000-8000-00000000000a\n"
		"afs = af.example.com;ua=01\n",
		"p.conf:4: key 'afs'", "a bad Ua* id");
	refused("[consumer x]\nnf_instance_id = 9b2c3d4e-0000-4000-8000-00000000000a\n",
		"has no role", "a consumer without a role");
	refused("[consumer x]\nrole = af\n", "neither nf_instance_id nor cert_dns", "no identity");
	refused("[consumer x]\nrole = ausf\nnf_instance_id = 9b2c3d4e-0000-4000-8000-00000000000a\n"
		"afs = a.example.com\n",
		"is an ausf with afs", "an ausf with AF names");
	refused("[consumer x]\nrole = af\nnf_instance_id = 9b2c3d4e-0000-4000-8000-00000000000a\n"
		"[consumer y]\nrole = af\nnf_instance_id = 9B2C3D4E-0000-4000-8000-00000000000A\n",
		"shares its nf_instance_id", "two consumers, one id");
	refused("[consumer x]\nrole = af\ncert_dns = a.example.com\n[consumer x]\n",
		"defined twice", "one name twice");
	char path[300];
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	CHECK(!akma_sbi_policy_load(path, dflt, why, sizeof(why)) && strstr(why, "none.conf"),
	      "a missing file named: %s", why);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	base64url();
	policy();
	unlink(write_file("p.conf", ""));
	rmdir(dir);
	return check_done("test_sbi_auth");
}
