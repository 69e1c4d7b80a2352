/* The exit policy: which inner destinations a client's traffic may reach through this gateway.
 *
 * Rules are compiled into flat arrays checked in order: protected networks (the gateway's own
 * addresses, never reachable through the tunnel), operator rules (first match wins), default
 * denies (private, special-purpose and multicast ranges, TCP/25), then allow. Sans-I/O, no DPDK.
 */
#ifndef MG_POLICY_H
#define MG_POLICY_H

#include <stdint.h>

struct mg_policy;

enum mg_policy_action {
	MG_POLICY_ALLOW = 1,
	MG_POLICY_DENY = 2,
};

enum mg_policy_verdict {
	MG_POLICY_VERDICT_ALLOW,
	MG_POLICY_VERDICT_DENY_PROTECTED,
	MG_POLICY_VERDICT_DENY_RULE,
	MG_POLICY_VERDICT_DENY_DEFAULT,
	MG_POLICY_VERDICT_COUNT
};

enum mg_policy_limits {
	MG_POLICY_MAX_RULES = 4096, /* per list (protected, operator, default) */
};

/* An empty policy (allows everything until rules or default denies are added); NULL if out of
 * memory. Build it on the control lcore, then share it read-only: mg_policy_check never writes. */
struct mg_policy *mg_policy_create(void);
void mg_policy_destroy(struct mg_policy *p);

/* Append an operator rule: prefix_host/len (host order; bits past len are ignored), proto 0 for
 * any or an IPPROTO_* value, ports inclusive in host order. port_lo = port_hi = 0 means any port;
 * a port range restricts the rule to TCP and UDP (proto 0 with ports = TCP and UDP). Returns 0,
 * -EINVAL (len > 32, bad action, port_lo > port_hi, ports with a protocol other than 0/TCP/UDP)
 * or -ENOSPC / -ENOMEM. */
int mg_policy_add_rule(struct mg_policy *p, enum mg_policy_action action, uint32_t prefix_host,
		       uint8_t len, uint8_t proto, uint16_t port_lo, uint16_t port_hi);

/* Protect one of the gateway's own addresses or subnets: denied for every protocol, before any
 * operator rule. Returns 0, -EINVAL (len > 32), -ENOSPC or -ENOMEM. */
int mg_policy_add_protected(struct mg_policy *p, uint32_t prefix_host, uint8_t len);

/* Install the default denies (idempotent): 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
 * 192.168/16, 224/4, 240/4, and TCP port 25 everywhere. */
void mg_policy_add_default_denies(struct mg_policy *p);

/* Judge a new flow to dst_host (host order), proto (IPPROTO_*), dst_port_host (ignored unless TCP
 * or UDP). Linear over the compiled rules; meant for the session-creation path. */
enum mg_policy_verdict mg_policy_check(const struct mg_policy *p, uint32_t dst_host, uint8_t proto,
				       uint16_t dst_port_host);

/* "allow", "deny_protected", "deny_rule", "deny_default" (telemetry names). */
const char *mg_policy_verdict_str(enum mg_policy_verdict v);

#endif /* MG_POLICY_H */
