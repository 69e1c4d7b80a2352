/* Exit policy: protected networks, operator rules and default denies, compiled into flat arrays.
 *
 * Built once on the control lcore and then only read: mg_policy_check scans three small arrays
 * of {network, mask, protocol, port range} in order, with no allocation and no locking.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>

#include "policy.h"

struct policy_rule {
	uint32_t net;  /* host order, already masked */
	uint32_t mask;
	uint16_t port_lo;
	uint16_t port_hi;
	uint8_t proto;     /* 0 = any */
	uint8_t has_ports; /* restricts the rule to TCP and UDP */
	uint8_t action;    /* enum mg_policy_action */
};

struct policy_list {
	struct policy_rule *r;
	uint32_t n;
	uint32_t cap;
};

struct mg_policy {
	struct policy_list protected_nets;
	struct policy_list rules;
	struct policy_list defaults;
	bool defaults_added;
};

static uint32_t
prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

static int
list_append(struct policy_list *l, const struct policy_rule *rule)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 16;
		struct policy_rule *r;

		if (l->n >= MG_POLICY_MAX_RULES)
			return -ENOSPC;
		if (cap > MG_POLICY_MAX_RULES)
			cap = MG_POLICY_MAX_RULES;
		r = realloc(l->r, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		l->r = r;
		l->cap = cap;
	}
	l->r[l->n++] = *rule;
	return 0;
}

struct mg_policy *
mg_policy_create(void)
{
	return calloc(1, sizeof(struct mg_policy));
}

void
mg_policy_destroy(struct mg_policy *p)
{
	if (!p)
		return;
	free(p->protected_nets.r);
	free(p->rules.r);
	free(p->defaults.r);
	free(p);
}

/* Shared by operator rules and default denies; validates and appends. */
static int
add_rule(struct policy_list *l, enum mg_policy_action action, uint32_t prefix, uint8_t len,
	 uint8_t proto, uint16_t port_lo, uint16_t port_hi)
{
	struct policy_rule rule = {0};
	bool has_ports = port_lo != 0 || port_hi != 0;

	if (len > 32 || (action != MG_POLICY_ALLOW && action != MG_POLICY_DENY))
		return -EINVAL;
	if (port_lo > port_hi)
		return -EINVAL;
	if (has_ports && proto != 0 && proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	rule.mask = prefix_mask(len);
	rule.net = prefix & rule.mask;
	rule.proto = proto;
	rule.has_ports = has_ports;
	rule.port_lo = port_lo;
	rule.port_hi = port_hi;
	rule.action = (uint8_t)action;
	return list_append(l, &rule);
}

int
mg_policy_add_rule(struct mg_policy *p, enum mg_policy_action action, uint32_t prefix_host,
		   uint8_t len, uint8_t proto, uint16_t port_lo, uint16_t port_hi)
{
	return add_rule(&p->rules, action, prefix_host, len, proto, port_lo, port_hi);
}

int
mg_policy_add_protected(struct mg_policy *p, uint32_t prefix_host, uint8_t len)
{
	return add_rule(&p->protected_nets, MG_POLICY_DENY, prefix_host, len, 0, 0, 0);
}

/* Special-purpose ranges (RFC 6890 and friends) that an exit must not reach for its clients. */
static const struct {
	uint32_t net;
	uint8_t len;
} default_deny_nets[] = {
	{ 0x00000000, 8 },  /* "this network" */
	{ 0x0a000000, 8 },  /* RFC 1918 */
	{ 0x64400000, 10 }, /* RFC 6598 shared address space (carrier NAT, our tunnels) */
	{ 0x7f000000, 8 },  /* loopback */
	{ 0xa9fe0000, 16 }, /* link local, cloud metadata */
	{ 0xac100000, 12 }, /* RFC 1918 */
	{ 0xc0a80000, 16 }, /* RFC 1918 */
	{ 0xe0000000, 4 },  /* multicast */
	{ 0xf0000000, 4 },  /* reserved, limited broadcast */
};

enum { SMTP_PORT = 25 };

void
mg_policy_add_default_denies(struct mg_policy *p)
{
	size_t i;

	if (p->defaults_added)
		return;
	/* The list starts empty and holds 10 rules: far below MG_POLICY_MAX_RULES. Only ENOMEM can
	 * fail; then defaults stay partial and the flag unset, so a retry completes them. */
	for (i = 0; i < sizeof(default_deny_nets) / sizeof(default_deny_nets[0]); i++)
		if (add_rule(&p->defaults, MG_POLICY_DENY, default_deny_nets[i].net,
			     default_deny_nets[i].len, 0, 0, 0) != 0)
			goto out_partial;
	if (add_rule(&p->defaults, MG_POLICY_DENY, 0, 0, IPPROTO_TCP, SMTP_PORT, SMTP_PORT) != 0)
		goto out_partial;
	p->defaults_added = true;
	return;
out_partial:
	p->defaults.n = 0;
}

static inline bool
rule_matches(const struct policy_rule *r, uint32_t dst, uint8_t proto, uint16_t port)
{
	if ((dst & r->mask) != r->net)
		return false;
	if (r->proto != 0 && r->proto != proto)
		return false;
	if (!r->has_ports)
		return true;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	return port >= r->port_lo && port <= r->port_hi;
}

/* Index of the first matching rule, or -1. */
static inline int32_t
first_match(const struct policy_list *l, uint32_t dst, uint8_t proto, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (rule_matches(&l->r[i], dst, proto, port))
			return (int32_t)i;
	return -1;
}

enum mg_policy_verdict
mg_policy_check(const struct mg_policy *p, uint32_t dst_host, uint8_t proto,
		uint16_t dst_port_host)
{
	int32_t i;

	if (first_match(&p->protected_nets, dst_host, proto, dst_port_host) >= 0)
		return MG_POLICY_VERDICT_DENY_PROTECTED;
	i = first_match(&p->rules, dst_host, proto, dst_port_host);
	if (i >= 0)
		return p->rules.r[i].action == MG_POLICY_ALLOW ? MG_POLICY_VERDICT_ALLOW
							       : MG_POLICY_VERDICT_DENY_RULE;
	if (first_match(&p->defaults, dst_host, proto, dst_port_host) >= 0)
		return MG_POLICY_VERDICT_DENY_DEFAULT;
	return MG_POLICY_VERDICT_ALLOW;
}

const char *
mg_policy_verdict_str(enum mg_policy_verdict v)
{
	static const char *const str[MG_POLICY_VERDICT_COUNT] = {
		[MG_POLICY_VERDICT_ALLOW] = "allow",
		[MG_POLICY_VERDICT_DENY_PROTECTED] = "deny_protected",
		[MG_POLICY_VERDICT_DENY_RULE] = "deny_rule",
		[MG_POLICY_VERDICT_DENY_DEFAULT] = "deny_default",
	};

	if ((unsigned int)v >= MG_POLICY_VERDICT_COUNT)
		return "unknown";
	return str[v];
}
