/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `xh-tools wait [FILE] [--match S]... [--count N] [--pid N | --pid-file P]
 *                [--timeout SEC] [--cat F]... [--cat-sep TEXT] [--alive TEXT]`
 * `xh-tools wait --carrier IFNAME [--timeout SEC]`
 *
 * Blocks until FILE has N lines (default 1) containing any S (an S starting with
 * '^' must start the line; no --match: any line), or the process ends, or SEC
 * pass (default 30).  Without FILE it waits for the process to end.  Exit
 * status: 0 the lines are there (without FILE: the process ended), 1 timeout,
 * 3 the process ended first, 2 usage.  --carrier: until the interface's
 * carrier is up (sysfs, read every 10 ms: no inotify there), 0 or 1.
 *
 * Then, whatever ended the wait, it prints each --cat file (a missing one as
 * empty) with "\nTEXT\n" of --cat-sep between two of them, and TEXT of --alive
 * on a line of its own if the process still runs: what the harness read with
 * `cat` and `kill -0` right after each wait, without an exec apiece.
 *
 * The harness's guest-side waits used to be shell loops (`until grep ...; do
 * sleep 0.05; done`): each turn forks and execs two or three programs, ~0.1 s of
 * CPU under TCG, so the wait itself took most of the single-threaded guest's
 * CPU from the runner and the packets it waited for.  This sleeps in poll() on
 * inotify (FILE's directory: FILE may not exist yet) and a pidfd, and looks
 * again at least every 200 ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>

#include "xh_wait.h"

#define MAX_MATCH 8
#define MAX_CAT 4
#define RECHECK_MS 200

struct line_count {
	const char *path;
	const char *match[MAX_MATCH];
	int nmatch;
	long count;		/* matching lines so far */
	off_t off;		/* bytes consumed (whole lines) */
	char part[4096];	/* an unfinished last line */
	size_t plen;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool line_matches(const struct line_count *lc, const char *line)
{
	int i;

	if (!lc->nmatch)
		return true;
	for (i = 0; i < lc->nmatch; i++) {
		const char *m = lc->match[i];

		if (m[0] == '^' ? !strncmp(line, m + 1, strlen(m + 1)) : strstr(line, m) != NULL)
			return true;
	}
	return false;
}

/* Read what was appended since the last look; count the complete new lines. */
static void scan(struct line_count *lc)
{
	char buf[65536];
	ssize_t n;
	int fd = open(lc->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (lseek(fd, lc->off, SEEK_SET) != lc->off) {
		close(fd);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (lc->plen < sizeof(lc->part) - 1)
					lc->part[lc->plen++] = buf[i];
				continue;
			}
			lc->part[lc->plen] = 0;
			if (line_matches(lc, lc->part))
				lc->count++;
			lc->plen = 0;
		}
		lc->off += n;
	}
	close(fd);
}

static int read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

static bool pid_gone(int pid)
{
	return pid > 0 && kill(pid, 0) && errno == ESRCH;
}

/* --carrier: poll /sys/class/net/IF/carrier (sysfs attributes do not notify). */
static int wait_carrier(const char *ifname, double timeout)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	double end = now_s() + timeout;
	char path[128], c;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", ifname);
	for (;;) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		c = 0;
		if (fd >= 0) {
			if (read(fd, &c, 1) != 1)
				c = 0;
			close(fd);
		}
		if (c == '1')
			return 0;
		if (now_s() > end)
			return 1;
		nanosleep(&tick, NULL);
	}
}

/* --cat: a file's bytes to stdout (nothing if it is missing) */
static void cat_file(const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	fflush(stdout);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
	close(fd);
}

struct wait_print {
	const char *cat[MAX_CAT];
	int ncat;
	const char *sep;
	const char *alive;
};

/* After the wait: the --cat files and the --alive mark; returns @rc. */
static int print_after(const struct wait_print *wp, int rc, int pid, bool exited)
{
	for (int i = 0; i < wp->ncat; i++) {
		if (i && wp->sep)
			printf("\n%s\n", wp->sep);
		cat_file(wp->cat[i]);	/* flushes stdout first */
	}
	if (wp->alive && pid > 0 && !exited && !kill(pid, 0))
		printf("%s\n", wp->alive);
	fflush(stdout);
	return rc;
}

int cmd_wait(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "match", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "carrier", required_argument, NULL, 'C' },
		{ "cat", required_argument, NULL, 'k' },
		{ "cat-sep", required_argument, NULL, 's' },
		{ "alive", required_argument, NULL, 'a' },
		{ 0 },
	};
	struct wait_print wp = { 0 };
	struct line_count lc = { 0 };
	const char *pid_file = NULL, *carrier = NULL;
	double timeout = 30, end;
	long want = 1;
	int pid = 0, pidfd = -1, ifd = -1, c;
	bool exited = false;	/* the pidfd said so (a zombie still answers kill 0) */
	char dir[4096];

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (lc.nmatch == MAX_MATCH)
				goto usage;
			lc.match[lc.nmatch++] = optarg;
			break;
		case 'c': want = strtol(optarg, NULL, 10); break;
		case 'p': pid = (int)strtol(optarg, NULL, 10); break;
		case 'P': pid_file = optarg; break;
		case 't': timeout = strtod(optarg, NULL); break;
		case 'C': carrier = optarg; break;
		case 'k':
			if (wp.ncat == MAX_CAT)
				goto usage;
			wp.cat[wp.ncat++] = optarg;
			break;
		case 's': wp.sep = optarg; break;
		case 'a': wp.alive = optarg; break;
		default: goto usage;
		}
	}
	if (carrier)
		return optind == argc && timeout >= 0 ? wait_carrier(carrier, timeout) : 2;
	if (optind < argc)
		lc.path = argv[optind++];
	if (optind != argc || (!lc.path && !pid && !pid_file && !wp.ncat) || timeout < 0)
		goto usage;
	if (!lc.path && !pid && !pid_file)	/* only --cat: nothing to wait for */
		return print_after(&wp, 0, 0, true);
	end = now_s() + timeout;
	if (lc.path) {
		snprintf(dir, sizeof(dir), "%s", lc.path);
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd >= 0 && inotify_add_watch(ifd, dirname(dir), IN_MODIFY | IN_CREATE |
						  IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
			close(ifd);
			ifd = -1;
		}
	}
	for (;;) {
		struct pollfd pfd[2];
		double left;
		int n = 0, pi = -1;

		if (!pid && pid_file)
			pid = read_pid(pid_file);
		if (pid && pidfd < 0)
			pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (lc.path) {
			scan(&lc);
			if (lc.count >= want)
				return print_after(&wp, 0, pid, exited);
		}
		if (exited || pid_gone(pid))
			return print_after(&wp, lc.path ? 3 : 0, pid, true);
		left = end - now_s();
		if (left <= 0)
			return print_after(&wp, 1, pid, exited);
		if (ifd >= 0)
			pfd[n++] = (struct pollfd){ .fd = ifd, .events = POLLIN };
		if (pidfd >= 0) {
			pi = n;
			pfd[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, left * 1e3 < RECHECK_MS ? (int)(left * 1e3) + 1
							  : RECHECK_MS) > 0 &&
		    pi >= 0 && (pfd[pi].revents & POLLIN))
			exited = true;
		if (ifd >= 0) {
			char ev[4096];

			while (read(ifd, ev, sizeof(ev)) > 0)
				;
		}
	}
usage:
	fprintf(stderr, "usage: xh-tools wait [FILE] [--match S]... [--count N] "
		"[--pid N | --pid-file P] [--timeout SEC]\n"
		"                     [--cat F]... [--cat-sep TEXT] [--alive TEXT]\n"
		"       xh-tools wait --carrier IFNAME [--timeout SEC]\n");
	return 2;
}
