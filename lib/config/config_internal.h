/* Internals shared by the config module's files: the parse context that carries the file name and
 * the error buffer, and the tree-walking helpers that turn libconfig settings into typed values.
 * Every helper that fails writes one "FILE:LINE: KEY: reason" message and returns -1.
 */
#ifndef MG_CONFIG_INTERNAL_H
#define MG_CONFIG_INTERNAL_H

#include <libconfig.h>

#include "config.h"

/* What a key must hold; checked before any value is read. */
enum mg_cfg_kind {
	MG_CFG_STRING,
	MG_CFG_INT,
	MG_CFG_BOOL,
	MG_CFG_GROUP,
	MG_CFG_GROUP_LIST,  /* ( { ... }, { ... } ) */
	MG_CFG_SCALAR_LIST, /* [ a, b ] or ( a, b ) of scalars */
};

struct mg_cfg_key {
	const char *name;
	enum mg_cfg_kind kind;
};

/* One allowed value of a string key, and what it stands for. */
struct mg_cfg_choice {
	const char *name;
	int value;
};

struct mg_cfg_ctx {
	const char *name;                /* file name used in messages */
	const char *include_dir;         /* where @include'd files are found; NULL = cwd */
	const config_setting_t *root;    /* NULL when there is no tree (then line 0) */
	char *err;
	size_t errlen;
};

/* Messages. fail_at names setting s; fail_missing names parent.key at the parent's line. */
int mg_cfg_fail_at(struct mg_cfg_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mg_cfg_fail_missing(struct mg_cfg_ctx *ctx, const config_setting_t *parent, const char *key,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void mg_cfg_key_path(const config_setting_t *s, char *buf, size_t len);

/* Reject unknown members of group g and members of the wrong type. */
int mg_cfg_check_keys(struct mg_cfg_ctx *ctx, const config_setting_t *g,
		      const struct mg_cfg_key *keys, unsigned int n_keys);

/* Typed getters; each does nothing and returns 0 when the key is absent. */
int mg_cfg_get_string(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		      char *out, size_t outlen);
int mg_cfg_get_u32(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   uint32_t lo, uint32_t hi, uint32_t *out);
int mg_cfg_get_u16(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   uint16_t lo, uint16_t hi, uint16_t *out);
int mg_cfg_get_bool(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key, bool *out);
int mg_cfg_get_prefixes(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
			struct mg_prefix *out, unsigned int max, unsigned int *n_out);
int mg_cfg_get_prefix(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		      bool host_bits_ok, struct mg_prefix *out);
int mg_cfg_get_addr(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		    uint32_t *out);
int mg_cfg_get_choice(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		      const struct mg_cfg_choice *choices, unsigned int n, int *out);
/* [ lo, hi ] of ports, lo_min <= lo <= hi <= 65535. */
int mg_cfg_get_range(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		     uint16_t lo_min, uint16_t *lo, uint16_t *hi);
/* Fails with "missing: <what>" when g has no member key. */
int mg_cfg_require(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   const char *what);
int mg_cfg_get_key(struct mg_cfg_ctx *ctx, const config_setting_t *g, const char *key,
		   uint8_t out[MG_CONFIG_KEY_LEN], bool *present);

/* Member of g, or NULL (g may be NULL). */
const config_setting_t *mg_cfg_member(const config_setting_t *g, const char *key);
/* Message for a key given by path ("ports[1].name"), at the line of the deepest setting along
 * that path that exists in the tree (a default value has no line of its own). */
int mg_cfg_fail_path(struct mg_cfg_ctx *ctx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Root walk (config_parse.c) and cross-field checks (config_validate.c). */
int mg_config_parse_tree(struct mg_config *cfg, struct mg_cfg_ctx *ctx);
int mg_config_parse_mesh(struct mg_config *cfg, struct mg_cfg_ctx *ctx, const config_setting_t *g);
int mg_config_validate(const struct mg_config *cfg, struct mg_cfg_ctx *ctx);

#endif /* MG_CONFIG_INTERNAL_H */
