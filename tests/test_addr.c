/* SPDX-License-Identifier: BSD-3-Clause */
/* The one address parser (drivers/common/addr.h): every form it takes, and
 * the malformed ones it refuses with the option named, "[::1:8080" (which
 * once bound every interface) among them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "addr.h"
#include "check.h"

static int parse(const char *text, unsigned forms, struct sockaddr_storage *ss, char *why,
		 size_t size)
{
	socklen_t len;
	return akma_addr_parse("sbi.listen", text, forms, ss, &len, why, size);
}

int main(void)
{
	struct sockaddr_storage ss;
	char why[256], host[64];
	uint16_t port;

	CHECK(parse("127.0.0.1:8080", AKMA_ADDR_HOSTPORT, &ss, why, sizeof(why)) == 0 &&
		      ss.ss_family == AF_INET &&
		      ntohs(((struct sockaddr_in *)&ss)->sin_port) == 8080,
	      "IPv4: %s", why);
	CHECK(parse("[::1]:8080", AKMA_ADDR_HOSTPORT, &ss, why, sizeof(why)) == 0 &&
		      ss.ss_family == AF_INET6,
	      "IPv6: %s", why);
	struct in6_addr any6 = IN6ADDR_ANY_INIT;
	CHECK(parse("[::]:8080", AKMA_ADDR_HOSTPORT, &ss, why, sizeof(why)) == 0 &&
		      !memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr, &any6, sizeof(any6)),
	      "IPv6 any: %s", why);

	/* Malformed: each refused, with the option and the text named. */
	static const char *const bad[] = {
		"[::1:8080",   /* no ']': once stripped blindly, binding :: */
		"[::1]8080",   /* no ':' after ']' */
		"::1:8080",    /* IPv6 without brackets */
		"127.0.0.1",   /* no port */
		"127.0.0.1:",  /* empty port */
		"127.0.0.1:0", /* port 0 */
		"127.0.0.1:65536", "127.0.0.1:80x", ":8080", /* no host */
		"[127.0.0.1]:80",                            /* brackets around IPv4 */
		"localhost:8080", /* a name where an IP literal is needed */
		"[]:80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(parse(bad[i], AKMA_ADDR_HOSTPORT, &ss, why, sizeof(why)) == -1 &&
			      strstr(why, "sbi.listen") && strstr(why, bad[i]),
		      "%s refused with the option named (%s)", bad[i], why);
	}

	/* The wire forms. */
	CHECK(parse("udp:127.0.0.1:7777", AKMA_ADDR_WIRE, &ss, why, sizeof(why)) == 0 &&
		      ss.ss_family == AF_INET,
	      "udp IPv4: %s", why);
	CHECK(parse("udp:[::1]:7777", AKMA_ADDR_WIRE, &ss, why, sizeof(why)) == 0 &&
		      ss.ss_family == AF_INET6,
	      "udp IPv6: %s", why);
	CHECK(parse("unix:/run/akmad.sock", AKMA_ADDR_WIRE, &ss, why, sizeof(why)) == 0 &&
		      ss.ss_family == AF_UNIX &&
		      !strcmp(((struct sockaddr_un *)&ss)->sun_path, "/run/akmad.sock"),
	      "unix: %s", why);
	CHECK(parse("udp:[::1:7777", AKMA_ADDR_WIRE, &ss, why, sizeof(why)) == -1, "udp:[::1:7777");
	CHECK(parse("127.0.0.1:7777", AKMA_ADDR_WIRE, &ss, why, sizeof(why)) == -1,
	      "a bare HOST:PORT is not a wire address");
	CHECK(parse("udp:127.0.0.1:7777", AKMA_ADDR_HOSTPORT, &ss, why, sizeof(why)) == -1,
	      "a wire address is not a HOST:PORT");
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longpath, "unix:", 5);
	CHECK(parse(longpath, AKMA_ADDR_WIRE, &ss, why, sizeof(why)) == -1, "unix path too long");

	/* Splitting, for Redis, which takes host names too. */
	CHECK(akma_addr_split("redis.address", "redis.example:6379", host, sizeof(host), &port, why,
			      sizeof(why)) == 0 &&
		      !strcmp(host, "redis.example") && port == 6379,
	      "a name: %s", why);
	CHECK(akma_addr_split("redis.address", "[fd00::1]:6379", host, sizeof(host), &port, why,
			      sizeof(why)) == 0 &&
		      !strcmp(host, "fd00::1"),
	      "brackets dropped: %s", why);
	CHECK(akma_addr_split("redis.sentinels", "[fd00::1:26379", host, sizeof(host), &port, why,
			      sizeof(why)) == -1 &&
		      strstr(why, "redis.sentinels"),
	      "an unclosed bracket, named: %s", why);
	return check_done("test_addr");
}
