/* The gateway's private key: inline in the config, or read from private_key_file (one base64 line,
 * as `wg genkey > file` writes it), or — on first start — a fresh key created in that file with
 * mode 0600. A key file that group or others can read is refused; key buffers are wiped on exit.
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
static int read_key_fd(struct mg_config *cfg, int fd, char *err, size_t errlen)
{
	const char *path = cfg->private_key_file;
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
	if (n == (ssize_t)sizeof(buf) - 1 || mg_config_parse_key(buf, cfg->private_key) < 0) {
		fail(err, errlen, path, "not a WireGuard private key (expected one line of base64 "
		     "as written by `wg genkey`)", 0);
		goto out_wipe;
	}
	cfg->has_private_key = true;
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

/* A fresh X25519 private key, clamped as `wg genkey` does, written as one base64 line. */
static int create_key_file(struct mg_config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->private_key_file;
	char line[MG_CONFIG_KEY_B64_LEN + 1];
	int fd, rc = -1;

	if (make_parents(path, err, errlen) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
	if (fd < 0)
		return fail(err, errlen, path, "cannot create the key file", errno);
	randombytes_buf(cfg->private_key, MG_CONFIG_KEY_LEN);
	cfg->private_key[0] &= 248;
	cfg->private_key[31] = (cfg->private_key[31] & 127) | 64;
	mg_config_format_key(cfg->private_key, line);
	strcat(line, "\n");
	if (fchmod(fd, FILE_MODE) < 0 || write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0) {
		fail(err, errlen, path, "cannot write the new key", errno);
		unlink(path);
		sodium_memzero(cfg->private_key, sizeof(cfg->private_key));
		goto out_close;
	}
	cfg->has_private_key = true;
	rc = 0;
out_close:
	close(fd);
	sodium_memzero(line, sizeof(line));
	return rc;
}

int mg_config_resolve_private_key(struct mg_config *cfg, char *err, size_t errlen)
{
	int fd, rc;

	if (cfg->has_private_key)
		return 0; /* inline key wins over the file */
	if (sodium_init() < 0)
		return fail(err, errlen, cfg->private_key_file, "libsodium failed to initialise", 0);
	if (cfg->private_key_file[0] == '\0')
		return fail(err, errlen, cfg->source, "wireguard: set private_key or "
			    "private_key_file", 0);
	fd = open(cfg->private_key_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return create_key_file(cfg, err, errlen);
	if (fd < 0)
		return fail(err, errlen, cfg->private_key_file, "cannot open the key file", errno);
	rc = read_key_fd(cfg, fd, err, errlen);
	close(fd);
	return rc;
}
