/* Walking the libconfig tree: key paths and lines for messages, the unknown-key and type checks,
 * and typed getters with range checks. Every failure writes one "FILE:LINE: KEY: reason" message
 * naming the exact setting, so the parser itself reads as a list of keys and limits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config_internal.h"

enum { PATH_LEN = 160, SUGGEST_MAX_DISTANCE = 2, NAME_MAX_LEN = 64 };

void mg_cfg_key_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent;
	char up[PATH_LEN];

	buf[0] = '\0';
	if (s == NULL || (parent = config_setting_parent(s)) == NULL)
		return;
	mg_cfg_key_path(parent, up, sizeof(up));
	if (config_setting_name(s) == NULL)
		snprintf(buf, len, "%s[%d]", up, config_setting_index(s));
	else
		snprintf(buf, len, "%s%s%s", up, up[0] ? "." : "", config_setting_name(s));
}

static int setting_line(const config_setting_t *s)
{
	int line = s ? config_setting_source_line(s) : 0;

	return line > 0 ? line : 1; /* the root group and absent keys: blame the top of the file */
}

/* The file is the one the setting came from, which differs from ctx->name under @include. */
static int vfail(struct mg_cfg_ctx *ctx, const config_setting_t *s, const char *key,
		 const char *fmt, va_list ap)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	bool included = file != NULL && strcmp(file, ctx->name) != 0;
	bool rel = included && file[0] != '/' && ctx->include_dir != NULL;
	int n = snprintf(ctx->err, ctx->errlen, "%s%s%s:%d: %s: ", rel ? ctx->include_dir : "",
			 rel ? "/" : "", included ? file : ctx->name, setting_line(s), key);

	if (n >= 0 && (size_t)n < ctx->errlen)
		vsnprintf(ctx->err + n, ctx->errlen - n, fmt, ap);
	return -1;
}

int mg_cfg_fail_at(struct mg_cfg_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	char path[PATH_LEN];
	va_list ap;

	mg_cfg_key_path(s, path, sizeof(path));
	va_start(ap, fmt);
	vfail(ctx, s, path[0] ? path : "(top level)", fmt, ap);
	va_end(ap);
	return -1;
}

int mg_cfg_fail_missing(struct mg_cfg_ctx *ctx, const config_setting_t *parent, const char *key,
			const char *fmt, ...)
{
	char path[PATH_LEN], full[PATH_LEN * 2];
	va_list ap;

	mg_cfg_key_path(parent, path, sizeof(path));
	snprintf(full, sizeof(full), "%s%s%s", path, path[0] ? "." : "", key);
	va_start(ap, fmt);
	vfail(ctx, parent, full, fmt, ap);
	va_end(ap);
	return -1;
}

/* Follow "a[1].b" as far as the tree goes. */
static const config_setting_t *locate(const config_setting_t *s, const char *path)
{
	char tok[NAME_MAX_LEN];

	while (s != NULL && *path != '\0') {
		size_t n = strcspn(path, ".[");
		const config_setting_t *next = s;

		if (n > 0 && n < sizeof(tok)) {
			memcpy(tok, path, n);
			tok[n] = '\0';
			next = config_setting_get_member(s, tok);
		} else if (path[0] == '[') {
			next = config_setting_get_elem(s, (unsigned int)strtoul(path + 1, NULL, 10));
			n = strcspn(path, "]") + 1;
		}
		if (next == NULL || n == 0)
			break;
		s = next;
		path += n;
		path += (*path == '.' || *path == ']');
	}
	return s;
}

int mg_cfg_fail_path(struct mg_cfg_ctx *ctx, const char *path, const char *fmt, ...)
{
	const config_setting_t *s = ctx->root ? locate(ctx->root, path) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx, s, path, fmt, ap);
	va_end(ap);
	return -1;
}

const config_setting_t *mg_cfg_member(const config_setting_t *g, const char *key)
{
	if (g == NULL || !config_setting_is_group(g))
		return NULL;
	return config_setting_get_member(g, key);
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a floating-point number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "an unknown type";
	}
}

static const char *kind_name(enum mg_cfg_kind kind)
{
	switch (kind) {
	case MG_CFG_STRING: return "a string in double quotes";
	case MG_CFG_INT: return "an integer";
	case MG_CFG_BOOL: return "true or false";
	case MG_CFG_GROUP: return "a group { ... }";
	case MG_CFG_GROUP_LIST: return "a list of groups ( { ... }, ... )";
	case MG_CFG_SCALAR_LIST: return "a list [ ... ]";
	}
	return "?";
}

static bool has_kind(const config_setting_t *s, enum mg_cfg_kind kind)
{
	int t = config_setting_type(s);

	switch (kind) {
	case MG_CFG_STRING: return t == CONFIG_TYPE_STRING;
	case MG_CFG_INT: return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case MG_CFG_BOOL: return t == CONFIG_TYPE_BOOL;
	case MG_CFG_GROUP: return t == CONFIG_TYPE_GROUP;
	case MG_CFG_GROUP_LIST: return t == CONFIG_TYPE_LIST;
	case MG_CFG_SCALAR_LIST: return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
	}
	return false;
}

/* Levenshtein distance for short key names, to suggest the key a typo meant. */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int row[NAME_MAX_LEN + 1], la = strlen(a), lb = strlen(b);

	if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
		return NAME_MAX_LEN;
	for (unsigned int j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned int i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = i;
		for (unsigned int j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int fail_unknown(struct mg_cfg_ctx *ctx, const config_setting_t *m,
			const struct mg_cfg_key *keys, unsigned int n_keys)
{
	const char *name = config_setting_name(m), *best = NULL;
	unsigned int best_d = SUGGEST_MAX_DISTANCE + 1;

	for (unsigned int i = 0; i < n_keys; i++) {
		unsigned int d = edit_distance(name, keys[i].name);

		if (d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	if (best != NULL)
		return mg_cfg_fail_at(ctx, m, "unknown key (did you mean '%s'?)", best);
	if (n_keys == 0)
		return mg_cfg_fail_at(ctx, m, "unknown key (this group takes no keys yet)");
	return mg_cfg_fail_at(ctx, m, "unknown key (see docs/config.md for the keys of this group)");
}

static int check_group_list(struct mg_cfg_ctx *ctx, const config_setting_t *list)
{
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *e = config_setting_get_elem(list, i);

		if (!config_setting_is_group(e))
			return mg_cfg_fail_at(ctx, e, "wrong type: expected a group { ... }, got %s",
					      type_name(e));
	}
	return 0;
}

int mg_cfg_check_keys(struct mg_cfg_ctx *ctx, const config_setting_t *g,
		      const struct mg_cfg_key *keys, unsigned int n_keys)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, i);
		const struct mg_cfg_key *k = NULL;

		for (unsigned int j = 0; j < n_keys && k == NULL; j++)
			if (strcmp(keys[j].name, config_setting_name(m)) == 0)
				k = &keys[j];
		if (k == NULL)
			return fail_unknown(ctx, m, keys, n_keys);
		if (!has_kind(m, k->kind))
			return mg_cfg_fail_at(ctx, m, "wrong type: expected %s, got %s",
					      kind_name(k->kind), type_name(m));
		if (k->kind == MG_CFG_GROUP_LIST && check_group_list(ctx, m) < 0)
			return -1;
	}
	return 0;
}

int mg_cfg_get_string(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		      char *out, size_t outlen)
{
	const config_setting_t *s = mg_cfg_member(g, key);
	const char *v;

	if (s == NULL)
		return 0;
	v = config_setting_get_string(s);
	if (strlen(v) >= outlen)
		return mg_cfg_fail_at(ctx, s, "too long (at most %zu characters)", outlen - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

int mg_cfg_get_u32(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   uint32_t lo, uint32_t hi, uint32_t *out)
{
	const config_setting_t *s = mg_cfg_member(g, key);
	long long v;

	if (s == NULL)
		return 0;
	v = config_setting_get_int64(s);
	if (v < (long long)lo || v > (long long)hi)
		return mg_cfg_fail_at(ctx, s, "must be between %u and %u (got %lld)", lo, hi, v);
	*out = (uint32_t)v;
	return 0;
}

int mg_cfg_get_u16(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   uint16_t lo, uint16_t hi, uint16_t *out)
{
	uint32_t v = *out;

	if (mg_cfg_get_u32(ctx, g, key, lo, hi, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int mg_cfg_get_bool(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key, bool *out)
{
	const config_setting_t *s = mg_cfg_member(g, key);

	(void)ctx;
	if (s != NULL)
		*out = config_setting_get_bool(s) != 0;
	return 0;
}

/* One prefix. Networks (allowed_ips, rules) take no host bits, so that "10.1.2.3/8" is caught as
 * a mistake; a port's address keeps them ("198.51.100.1/24" is .1 on a /24). */
static int get_network(struct mg_cfg_ctx *ctx, const config_setting_t *e, bool host_bits_ok,
		       struct mg_prefix *out)
{
	uint32_t mask;

	if (config_setting_type(e) != CONFIG_TYPE_STRING)
		return mg_cfg_fail_at(ctx, e, "wrong type: expected a string \"a.b.c.d/len\", got %s",
				      type_name(e));
	if (mg_config_parse_prefix(config_setting_get_string(e), out) < 0)
		return mg_cfg_fail_at(ctx, e, "'%s' is not an IPv4 prefix (expected a.b.c.d/len, "
				      "len 0..32)", config_setting_get_string(e));
	mask = out->len ? ~0u << (32 - out->len) : 0;
	if (!host_bits_ok && (out->addr & ~mask))
		return mg_cfg_fail_at(ctx, e, "'%s' has host bits set (did you mean %u.%u.%u.%u/%u?)",
				      config_setting_get_string(e), (out->addr & mask) >> 24,
				      (out->addr & mask) >> 16 & 0xff, (out->addr & mask) >> 8 & 0xff,
				      out->addr & mask & 0xff, out->len);
	return 0;
}

int mg_cfg_get_prefixes(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
			struct mg_prefix *out, unsigned int max, unsigned int *n_out)
{
	const config_setting_t *s = mg_cfg_member(g, key);
	int n;

	if (s == NULL)
		return 0;
	n = config_setting_length(s);
	if (n > (int)max)
		return mg_cfg_fail_at(ctx, s, "too many prefixes (%d; at most %u)", n, max);
	for (int i = 0; i < n; i++)
		if (get_network(ctx, config_setting_get_elem(s, i), false, &out[i]) < 0)
			return -1;
	*n_out = (unsigned int)n;
	return 0;
}

int mg_cfg_get_key(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   uint8_t out[MG_CONFIG_KEY_LEN], bool *present)
{
	const config_setting_t *s = mg_cfg_member(g, key);

	if (present != NULL)
		*present = false;
	if (s == NULL)
		return 0;
	if (mg_config_parse_key(config_setting_get_string(s), out) < 0) {
		sodium_memzero(out, MG_CONFIG_KEY_LEN);
		return mg_cfg_fail_at(ctx, s, "not a WireGuard key: expected 44 characters of "
				      "standard base64 for 32 bytes, as printed by `wg genkey` or "
				      "`wg pubkey`");
	}
	if (present != NULL)
		*present = true;
	return 0;
}

int mg_cfg_get_prefix(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		      bool host_bits_ok, struct mg_prefix *out)
{
	const config_setting_t *s = mg_cfg_member(g, key);

	return s == NULL ? 0 : get_network(ctx, s, host_bits_ok, out);
}

int mg_cfg_get_addr(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		    uint32_t *out)
{
	const config_setting_t *s = mg_cfg_member(g, key);

	if (s == NULL)
		return 0;
	if (mg_config_parse_addr(config_setting_get_string(s), out) < 0)
		return mg_cfg_fail_at(ctx, s, "'%s' is not an IPv4 address (expected a.b.c.d)",
				      config_setting_get_string(s));
	return 0;
}

int mg_cfg_get_choice(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		      const struct mg_cfg_choice *choices, unsigned int n, int *out)
{
	const config_setting_t *s = mg_cfg_member(g, key);
	char list[PATH_LEN] = "";
	const char *v;

	if (s == NULL)
		return 0;
	v = config_setting_get_string(s);
	for (unsigned int i = 0; i < n; i++) {
		if (strcmp(v, choices[i].name) == 0) {
			*out = choices[i].value;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
			 i ? (i + 1 == n ? " or " : ", ") : "", choices[i].name);
	}
	return mg_cfg_fail_at(ctx, s, "must be %s (got \"%s\")", list, v);
}

int mg_cfg_get_range(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		     uint16_t lo_min, uint16_t *lo, uint16_t *hi)
{
	const config_setting_t *s = mg_cfg_member(g, key);
	long long v[2];

	if (s == NULL)
		return 0;
	if (config_setting_length(s) != 2)
		return mg_cfg_fail_at(ctx, s, "expected two ports [ first, last ] (got %d values)",
				      config_setting_length(s));
	for (int i = 0; i < 2; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (!has_kind(e, MG_CFG_INT))
			return mg_cfg_fail_at(ctx, e, "wrong type: expected an integer, got %s",
					      type_name(e));
		v[i] = config_setting_get_int64(e);
		if (v[i] < lo_min || v[i] > 65535)
			return mg_cfg_fail_at(ctx, e, "port must be between %u and 65535 (got %lld)",
					      lo_min, v[i]);
	}
	if (v[0] > v[1])
		return mg_cfg_fail_at(ctx, s, "first port %lld is above last port %lld "
				      "(write [ lo, hi ] with lo <= hi)", v[0], v[1]);
	*lo = (uint16_t)v[0];
	*hi = (uint16_t)v[1];
	return 0;
}

int mg_cfg_require(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   const char *what)
{
	if (mg_cfg_member(g, key) != NULL)
		return 0;
	return mg_cfg_fail_missing(ctx, g, key, "missing: %s", what);
}
