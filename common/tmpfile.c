/*
 * tmpfile.c — unlinked scratch files in $TMPDIR (see tmpfile.h).
 */
#include "config.h"

#include "common/tmpfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lt_tmpfile(const char *tag, const char *what, lt_error *err)
{
	const char *dir = getenv("TMPDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	char path[4096];
	if (snprintf(path, sizeof path, "%s/llmtrail-%s-XXXXXX", dir, tag) >= (int)sizeof path) {
		lt_error_set(err, LT_EFATAL, "%s: TMPDIR too long", what);
		return -1;
	}
	int fd = mkstemp(path);
	if (fd < 0) {
		lt_error_set(err, LT_EFATAL, "%s: cannot create a file in %s: %s", what, dir, strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

lt_status lt_write_at(int fd, const void *p, size_t n, uint64_t off, const char *what, lt_error *err)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return lt_error_set(err, LT_EFATAL, "%s: cannot write the temporary file: %s", what,
			                    w < 0 ? strerror(errno) : "no space");
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return LT_OK;
}

lt_status lt_read_at(int fd, void *p, size_t n, uint64_t off, const char *what, lt_error *err)
{
	char *c = p;
	while (n > 0) {
		ssize_t got = pread(fd, c, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return lt_error_set(err, LT_EFATAL, "%s: cannot read the temporary file: %s", what,
			                    got < 0 ? strerror(errno) : "cut short");
		c += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return LT_OK;
}
