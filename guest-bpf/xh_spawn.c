// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xh-tools spawn --pid-file P --status-file S --out O --err E -- PROG [ARG]...
 *
 * Starts PROG in a new session (stdin /dev/null, stdout O, stderr E, both
 * truncated; LIBC_FATAL_STDERR_=1 so glibc's fatal messages land in E) and
 * returns once its pid is in P.  A watcher left behind in that session waits
 * for PROG and writes its status to S as a shell's $? reads (128 + n: killed
 * by signal n).  Exit 0, 2 on usage, 1 if no child or no pid file could be
 * made (the reason on stderr).  A PROG that cannot be executed still gets a
 * pid: its status is 127, the reason in E.
 *
 * The harness did this with `setsid sh -c '"$0" "$@" & echo $! > P; wait $!;
 * echo $? > S'` plus a wait for P: three execs per runner start (setsid, sh,
 * xh-tools wait), ~10 ms each under TCG.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "xh_spawn.h"

static int write_file(const char *path, const char *text)
{
	char tmp[4096];
	int fd, ok;

	/* written whole, then renamed: a reader never sees half a line */
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int redirect(int fd, const char *path, int flags)
{
	int f = open(path, flags | O_CLOEXEC, 0644);

	if (f < 0)
		return -1;
	if (dup2(f, fd) < 0) {
		close(f);
		return -1;
	}
	close(f);
	return 0;
}

/* The session's watcher: start PROG, report its pid through @ready, wait, write S. */
static void watch(char **argv, const char *pid_file, const char *status_file,
		  const char *out, const char *err, int ready)
{
	char line[32];
	int status, code;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		close(ready);
		if (redirect(STDIN_FILENO, "/dev/null", O_RDONLY) ||
		    redirect(STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC) ||
		    redirect(STDERR_FILENO, err, O_WRONLY | O_CREAT | O_TRUNC))
			_exit(126);
		setenv("LIBC_FATAL_STDERR_", "1", 1);
		execvp(argv[0], argv);
		fprintf(stderr, "spawn: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	snprintf(line, sizeof(line), "%d\n", (int)pid);
	code = pid < 0 || write_file(pid_file, line) ? 1 : 0;
	if (write(ready, &code, sizeof(code)) != sizeof(code))
		code = 1;
	close(ready);
	if (pid < 0)
		_exit(1);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	snprintf(line, sizeof(line), "%d\n", code);
	write_file(status_file, line);
	_exit(0);
}

int cmd_spawn(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pid-file", required_argument, NULL, 'p' },
		{ "status-file", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "err", required_argument, NULL, 'e' },
		{ 0 },
	};
	const char *pid_file = NULL, *status_file = NULL, *out = NULL, *err = NULL;
	int c, code = 1, pipefd[2];
	pid_t w;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'p': pid_file = optarg; break;
		case 's': status_file = optarg; break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		default: goto usage;
		}
	}
	if (!pid_file || !status_file || !out || !err || optind >= argc)
		goto usage;
	if (pipe2(pipefd, O_CLOEXEC)) {
		perror("spawn: pipe");
		return 1;
	}
	fflush(NULL);
	w = fork();
	if (w == 0) {
		close(pipefd[0]);
		setsid();
		/* the caller's pipes (an SSH channel) must not stay open in the watcher */
		redirect(STDIN_FILENO, "/dev/null", O_RDONLY);
		redirect(STDOUT_FILENO, "/dev/null", O_WRONLY);
		redirect(STDERR_FILENO, "/dev/null", O_WRONLY);
		watch(argv + optind, pid_file, status_file, out, err, pipefd[1]);
	}
	close(pipefd[1]);
	if (w < 0 || read(pipefd[0], &code, sizeof(code)) != sizeof(code))
		code = 1;
	close(pipefd[0]);
	if (code)
		fprintf(stderr, "spawn: %s did not start (pid file %s)\n", argv[optind], pid_file);
	return code ? 1 : 0;
usage:
	fprintf(stderr, "usage: xh-tools spawn --pid-file P --status-file S --out O --err E "
		"-- PROG [ARG]...\n");
	return 2;
}
