/* Key files: the gateway's WireGuard private key (inline in the config, or read from
 * private_key_file — one base64 line, as `wg genkey > file` writes it) and the mesh identity
 * (an Ed25519 seed in mesh.identity_key_file). On first start a fresh key is created in the file
 * with mode 0600. A key file that group or others can read is refused; key buffers are wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"

enum { KEY_FILE_MAX = 128, DIR_MODE = 0700, FILE_MODE = 0600 };

static int fail(char *err, size_t errlen, const char *path, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s%s%s", path, what, e ? ": " : "", e ? strerror(e) : "");
	return -1;
}

/* One line of base64, optionally followed by a newline (or CR LF) and nothing else. */
static int read_key_fd(const char *path, const char *kind, uint8_t key[MG_CONFIG_KEY_LEN], int fd,
		       char *err, size_t errlen)
{
	char buf[KEY_FILE_MAX];
	struct stat st;
	ssize_t n;
	int rc = -1;

	if (fstat(fd, &st) < 0)
		return fail(err, errlen, path, "cannot stat", errno);
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, path, "not a regular file", 0);
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: private key is accessible by group or others (mode %04o);"
			 " run: chmod 600 %s", path, (unsigned int)(st.st_mode & 07777), path);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		fail(err, errlen, path, "cannot read", errno);
		goto out_wipe;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (n == (ssize_t)sizeof(buf) - 1 || mg_config_parse_key(buf, key) < 0) {
		snprintf(err, errlen, "%s: not a %s (expected one line of base64 of 32 bytes, as "
			 "written by `wg genkey`)", path, kind);
		goto out_wipe;
	}
	rc = 0;
out_wipe:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/* mkdir -p of the directories above path, private to the owner when created. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char dir[MG_CONFIG_PATH_LEN];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = strchr(dir + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, DIR_MODE) < 0 && errno != EEXIST)
			return fail(err, errlen, dir, "cannot create directory for the key file",
				    errno);
		*p = '/';
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A fresh random key written as one base64 line; clamped as `wg genkey` does for X25519. */
static int create_key_file(const char *path, uint8_t key[MG_CONFIG_KEY_LEN], bool clamp,
			   char *err, size_t errlen)
{
	char line[MG_CONFIG_KEY_B64_LEN + 1];
	int fd, rc = -1;

	if (make_parents(path, err, errlen) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
	if (fd < 0)
		return fail(err, errlen, path, "cannot create the key file", errno);
	randombytes_buf(key, MG_CONFIG_KEY_LEN);
	if (clamp) {
		key[0] &= 248;
		key[31] = (key[31] & 127) | 64;
	}
	mg_config_format_key(key, line);
	strcat(line, "\n");
	if (fchmod(fd, FILE_MODE) < 0 || write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0) {
		fail(err, errlen, path, "cannot write the new key", errno);
		unlink(path);
		sodium_memzero(key, MG_CONFIG_KEY_LEN);
		goto out_close;
	}
	rc = 0;
out_close:
	close(fd);
	sodium_memzero(line, sizeof(line));
	return rc;
}

/* Read the key in path, or create it there when the file does not exist. */
static int load_or_create(const char *path, const char *kind, uint8_t key[MG_CONFIG_KEY_LEN],
			  bool clamp, char *err, size_t errlen)
{
	int fd, rc;

	if (sodium_init() < 0)
		return fail(err, errlen, path, "libsodium failed to initialise", 0);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return create_key_file(path, key, clamp, err, errlen);
	if (fd < 0)
		return fail(err, errlen, path, "cannot open the key file", errno);
	rc = read_key_fd(path, kind, key, fd, err, errlen);
	close(fd);
	return rc;
}

int mg_config_resolve_private_key(struct mg_config *cfg, char *err, size_t errlen)
{
	if (cfg->has_private_key)
		return 0; /* inline key wins over the file */
	if (cfg->private_key_file[0] == '\0')
		return fail(err, errlen, cfg->source, "wireguard: set private_key or "
			    "private_key_file", 0);
	if (load_or_create(cfg->private_key_file, "WireGuard private key", cfg->private_key, true,
			   err, errlen) < 0)
		return -1;
	cfg->has_private_key = true;
	return 0;
}

int mg_config_resolve_mesh_identity(struct mg_config *cfg, char *err, size_t errlen)
{
	if (!cfg->mesh_enabled || cfg->has_mesh_identity)
		return 0;
	if (load_or_create(cfg->mesh_identity_key_file, "mesh identity key", cfg->mesh_identity_seed,
			   false, err, errlen) < 0)
		return -1;
	cfg->has_mesh_identity = true;
	return 0;
}
