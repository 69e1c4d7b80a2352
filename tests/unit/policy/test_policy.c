/* Unit suite for the exit policy: each default-deny prefix at its first and last address and just
 * outside, TCP/25, operator overrides, first match, port ranges, protected networks, bad input.
 *
 * Addresses are written in dotted form and parsed with inet_pton; boundaries are worked out by
 * hand from the prefixes (RFC 1918, 6598, 3927, 5771, 1122), not from the library.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mg_cunit.h"

#include "policy.h"

static uint32_t
h(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return ntohl(a.s_addr);
}

static struct mg_policy *
defaults_only(void)
{
	struct mg_policy *p = mg_policy_create();

	if (!p)
		abort();
	mg_policy_add_default_denies(p);
	return p;
}

#define DENY_DEFAULT MG_POLICY_VERDICT_DENY_DEFAULT
#define ALLOW MG_POLICY_VERDICT_ALLOW

static void
test_default_prefix_boundaries(void)
{
	static const struct {
		const char *addr;
		enum mg_policy_verdict want;
	} t[] = {
		{"0.0.0.0", DENY_DEFAULT}, {"0.255.255.255", DENY_DEFAULT}, {"1.0.0.0", ALLOW},
		{"9.255.255.255", ALLOW}, {"10.0.0.0", DENY_DEFAULT},
		{"10.255.255.255", DENY_DEFAULT}, {"11.0.0.0", ALLOW},
		{"100.63.255.255", ALLOW}, {"100.64.0.0", DENY_DEFAULT},
		{"100.127.255.255", DENY_DEFAULT}, {"100.128.0.0", ALLOW},
		{"126.255.255.255", ALLOW}, {"127.0.0.0", DENY_DEFAULT},
		{"127.255.255.255", DENY_DEFAULT}, {"128.0.0.0", ALLOW},
		{"169.253.255.255", ALLOW}, {"169.254.0.0", DENY_DEFAULT},
		{"169.254.255.255", DENY_DEFAULT}, {"169.255.0.0", ALLOW},
		{"172.15.255.255", ALLOW}, {"172.16.0.0", DENY_DEFAULT},
		{"172.31.255.255", DENY_DEFAULT}, {"172.32.0.0", ALLOW},
		{"192.167.255.255", ALLOW}, {"192.168.0.0", DENY_DEFAULT},
		{"192.168.255.255", DENY_DEFAULT}, {"192.169.0.0", ALLOW},
		{"223.255.255.255", ALLOW}, {"224.0.0.0", DENY_DEFAULT},
		{"239.255.255.255", DENY_DEFAULT}, {"240.0.0.0", DENY_DEFAULT},
		{"255.255.255.255", DENY_DEFAULT},
		{"192.0.2.80", ALLOW}, {"8.8.8.8", ALLOW},
	};
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47};
	struct mg_policy *p = defaults_only();
	size_t i, j;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (j = 0; j < sizeof(protos); j++) {
			enum mg_policy_verdict v = mg_policy_check(p, h(t[i].addr), protos[j], 443);

			if (v != t[i].want)
				printf("\n  %s proto %u: got %s\n", t[i].addr, protos[j],
				       mg_policy_verdict_str(v));
			CU_ASSERT_EQUAL(v, t[i].want);
		}
	mg_policy_destroy(p);
}

static void
test_default_smtp(void)
{
	struct mg_policy *p = defaults_only();

	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.25"), IPPROTO_TCP, 25), DENY_DEFAULT);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("8.8.8.8"), IPPROTO_TCP, 25), DENY_DEFAULT);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.25"), IPPROTO_TCP, 24), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.25"), IPPROTO_TCP, 26), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.25"), IPPROTO_TCP, 587), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.25"), IPPROTO_UDP, 25), ALLOW);
	/* ICMP carries no port: a "port" argument of 25 must not trip the TCP rule. */
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.25"), IPPROTO_ICMP, 25), ALLOW);
	mg_policy_destroy(p);
}

static void
test_empty_and_idempotent(void)
{
	struct mg_policy *p = mg_policy_create();

	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.0.0.1"), IPPROTO_TCP, 25), ALLOW);
	mg_policy_add_default_denies(p);
	mg_policy_add_default_denies(p);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.0.0.1"), IPPROTO_UDP, 53), DENY_DEFAULT);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("11.0.0.1"), IPPROTO_UDP, 53), ALLOW);
	mg_policy_destroy(p);
	mg_policy_destroy(NULL);
}

static void
test_operator_overrides(void)
{
	struct mg_policy *p = defaults_only();

	/* Open a private range and SMTP to one relay; close DNS to one resolver. */
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_ALLOW, h("10.1.0.0"), 16, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_ALLOW, h("198.51.100.0"), 24, IPPROTO_TCP,
					   25, 25), 0);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, h("8.8.8.8"), 32, IPPROTO_UDP, 53, 53),
			0);

	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.1.2.3"), IPPROTO_TCP, 22), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.1.255.255"), IPPROTO_ICMP, 0), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.2.0.0"), IPPROTO_TCP, 22), DENY_DEFAULT);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.0.255.255"), IPPROTO_TCP, 22), DENY_DEFAULT);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("198.51.100.7"), IPPROTO_TCP, 25), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("198.51.101.7"), IPPROTO_TCP, 25), DENY_DEFAULT);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("8.8.8.8"), IPPROTO_UDP, 53),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("8.8.8.8"), IPPROTO_TCP, 53), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("8.8.8.8"), IPPROTO_ICMP, 0), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("8.8.4.4"), IPPROTO_UDP, 53), ALLOW);
	mg_policy_destroy(p);
}

static void
test_first_match_wins(void)
{
	struct mg_policy *a = defaults_only(), *b = defaults_only();

	mg_policy_add_rule(a, MG_POLICY_DENY, h("203.0.113.0"), 24, 0, 0, 0);
	mg_policy_add_rule(a, MG_POLICY_ALLOW, h("203.0.113.5"), 32, 0, 0, 0);
	mg_policy_add_rule(b, MG_POLICY_ALLOW, h("203.0.113.5"), 32, 0, 0, 0);
	mg_policy_add_rule(b, MG_POLICY_DENY, h("203.0.113.0"), 24, 0, 0, 0);
	CU_ASSERT_EQUAL(mg_policy_check(a, h("203.0.113.5"), IPPROTO_UDP, 1),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(b, h("203.0.113.5"), IPPROTO_UDP, 1), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(b, h("203.0.113.6"), IPPROTO_UDP, 1),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(b, h("203.0.114.6"), IPPROTO_UDP, 1), ALLOW);
	/* An operator allow of TCP/25 everywhere beats the default deny. */
	mg_policy_add_rule(b, MG_POLICY_ALLOW, 0, 0, IPPROTO_TCP, 25, 25);
	CU_ASSERT_EQUAL(mg_policy_check(b, h("192.0.2.1"), IPPROTO_TCP, 25), ALLOW);
	mg_policy_destroy(a);
	mg_policy_destroy(b);
}

static void
test_port_ranges(void)
{
	struct mg_policy *p = mg_policy_create();

	/* proto 0 with ports = TCP and UDP only. */
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, 0, 0, 0, 1000, 2000), 0);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_TCP, 999), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_TCP, 1000),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_UDP, 1500),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_UDP, 2000),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_UDP, 2001), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_ICMP, 1500), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), 132 /* SCTP */, 1500), ALLOW);
	/* A portless rule for a protocol matches that protocol only. */
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, h("192.0.2.0"), 24, IPPROTO_ICMP,
					   0, 0), 0);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_ICMP, 0),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.1"), IPPROTO_TCP, 80), ALLOW);
	/* Whole range 1-65535 on UDP. */
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, h("198.51.100.9"), 32, IPPROTO_UDP,
					   1, 65535), 0);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("198.51.100.9"), IPPROTO_UDP, 65535),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("198.51.100.9"), IPPROTO_TCP, 65535), ALLOW);
	mg_policy_destroy(p);
}

static void
test_protected_not_overridable(void)
{
	struct mg_policy *p = defaults_only();

	CU_ASSERT_EQUAL(mg_policy_add_protected(p, h("203.0.113.1"), 32), 0);
	CU_ASSERT_EQUAL(mg_policy_add_protected(p, h("198.51.100.0"), 24), 0);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_ALLOW, 0, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_ALLOW, h("203.0.113.1"), 32, IPPROTO_TCP,
					   22, 22), 0);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("203.0.113.1"), IPPROTO_TCP, 22),
			MG_POLICY_VERDICT_DENY_PROTECTED);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("203.0.113.1"), IPPROTO_ICMP, 0),
			MG_POLICY_VERDICT_DENY_PROTECTED);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("198.51.100.255"), IPPROTO_UDP, 51820),
			MG_POLICY_VERDICT_DENY_PROTECTED);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("198.51.101.0"), IPPROTO_UDP, 51820), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("203.0.113.2"), IPPROTO_TCP, 22), ALLOW);
	/* The allow-all rule opened the defaults, but never the protected ones. */
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.0.0.1"), IPPROTO_TCP, 22), ALLOW);
	mg_policy_destroy(p);
}

static void
test_prefix_host_bits_and_edges(void)
{
	struct mg_policy *p = mg_policy_create();

	/* 10.1.2.3/16 means 10.1.0.0/16. */
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, h("10.1.2.3"), 16, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.1.0.0"), IPPROTO_TCP, 1),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.1.255.255"), IPPROTO_TCP, 1),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("10.2.0.0"), IPPROTO_TCP, 1), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_add_protected(p, h("192.0.2.80"), 32), 0);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.81"), IPPROTO_TCP, 1), ALLOW);
	CU_ASSERT_EQUAL(mg_policy_check(p, h("192.0.2.79"), IPPROTO_TCP, 1), ALLOW);
	mg_policy_destroy(p);
}

static void
test_invalid_rules(void)
{
	struct mg_policy *p = mg_policy_create();

	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, 0, 33, 0, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, 3, 0, 8, 0, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, 0, 0, 8, 0, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, 0, 8, IPPROTO_TCP, 20, 10), -EINVAL);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, 0, 8, IPPROTO_ICMP, 1, 1), -EINVAL);
	CU_ASSERT_EQUAL(mg_policy_add_protected(p, 0, 40), -EINVAL);
	/* Nothing was added. */
	CU_ASSERT_EQUAL(mg_policy_check(p, h("0.0.0.1"), IPPROTO_TCP, 1), ALLOW);
	mg_policy_destroy(p);
}

static void
test_capacity(void)
{
	struct mg_policy *p = mg_policy_create();
	uint32_t i;
	int rc = 0;

	for (i = 0; i < MG_POLICY_MAX_RULES && rc == 0; i++)
		rc = mg_policy_add_rule(p, MG_POLICY_DENY, 0x0b000000u + i, 32, 0, 0, 0);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(mg_policy_add_rule(p, MG_POLICY_DENY, 1, 32, 0, 0, 0), -ENOSPC);
	CU_ASSERT_EQUAL(mg_policy_check(p, 0x0b000000u + MG_POLICY_MAX_RULES - 1, IPPROTO_UDP, 1),
			MG_POLICY_VERDICT_DENY_RULE);
	CU_ASSERT_EQUAL(mg_policy_check(p, 0x0b000000u + MG_POLICY_MAX_RULES, IPPROTO_UDP, 1),
			ALLOW);
	mg_policy_destroy(p);
}

/* Not a pass/fail benchmark: prints the cost of a check with 64 operator rules plus defaults. */
static void
test_speed_report(void)
{
	struct mg_policy *p = defaults_only();
	struct timespec t0, t1;
	volatile unsigned int allowed = 0;
	uint32_t i;
	double ns;

	for (i = 0; i < 64; i++)
		mg_policy_add_rule(p, MG_POLICY_DENY, 0xc6336400u + i * 4, 30, IPPROTO_UDP, 1, 1024);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000000; i++)
		allowed += mg_policy_check(p, 0x08080000u + (i & 0xffff), IPPROTO_TCP, 443) == ALLOW;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 2e6;
	printf("\n  policy check, 64 rules + 10 defaults, all scanned: %.1f ns\n", ns);
	CU_ASSERT_EQUAL(allowed, 2000000);
	mg_policy_destroy(p);
}

static void
test_verdict_strings(void)
{
	CU_ASSERT_STRING_EQUAL(mg_policy_verdict_str(MG_POLICY_VERDICT_ALLOW), "allow");
	CU_ASSERT_STRING_EQUAL(mg_policy_verdict_str(MG_POLICY_VERDICT_DENY_PROTECTED),
			       "deny_protected");
	CU_ASSERT_STRING_EQUAL(mg_policy_verdict_str(MG_POLICY_VERDICT_DENY_RULE), "deny_rule");
	CU_ASSERT_STRING_EQUAL(mg_policy_verdict_str(MG_POLICY_VERDICT_DENY_DEFAULT),
			       "deny_default");
	CU_ASSERT_STRING_EQUAL(mg_policy_verdict_str(MG_POLICY_VERDICT_COUNT), "unknown");
}

int
main(void)
{
	static const struct mg_cunit_case cases[] = {
		{ "test_default_prefix_boundaries", test_default_prefix_boundaries },
		{ "test_default_smtp", test_default_smtp },
		{ "test_empty_and_idempotent", test_empty_and_idempotent },
		{ "test_operator_overrides", test_operator_overrides },
		{ "test_first_match_wins", test_first_match_wins },
		{ "test_port_ranges", test_port_ranges },
		{ "test_protected_not_overridable", test_protected_not_overridable },
		{ "test_prefix_host_bits_and_edges", test_prefix_host_bits_and_edges },
		{ "test_invalid_rules", test_invalid_rules },
		{ "test_capacity", test_capacity },
		{ "test_speed_report", test_speed_report },
		{ "test_verdict_strings", test_verdict_strings },
	};

	return MG_CUNIT_RUN("policy", cases);
}
