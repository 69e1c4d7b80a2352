/* Replays every file of the fuzz corpus through LLVMFuzzerTestOneInput, without libFuzzer.
 *
 * Built with the ordinary compiler (gcc, with ASan/UBSan when available) and run by `meson test`,
 * so the seeds and every crash reproducer committed to tests/fuzz/corpus/ are checked each time.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REPLAY_MAX = 1 << 20 };

/* Feed one file; returns 0, or -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* An exact-size heap copy lets ASan catch reads past the input. */
	{
		uint8_t *copy = malloc(n ? n : 1);

		if (!copy)
			return -1;
		memcpy(copy, buf, n);
		LLVMFuzzerTestOneInput(copy, n);
		free(copy);
	}
	return 0;
}

static int
replay_dir(const char *dir, unsigned int *count)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	char path[4096];
	struct stat st;

	if (!d) {
		perror(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) != 0) {
			closedir(d);
			return -1;
		}
		(*count)++;
	}
	closedir(d);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int count = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay_dir(argv[i], &count) != 0)
			return 1;
	printf("replayed %u inputs\n", count);
	return count == 0 ? 1 : 0;
}
