// SPDX-License-Identifier: MIT
#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "capture/launch.h"

struct launch {
	pid_t pid;
	bool traced;
	bool exited;
	int status;	/* waitpid status once exited */
};

pid_t launch__pid(const struct launch *l)
{
	return l->pid;
}

/* AT_ENTRY of the program the child runs now */
static int read_entry(pid_t pid, unsigned long *entry)
{
	char path[64];
	Elf64_auxv_t av;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (read(fd, &av, sizeof(av)) == sizeof(av) && av.a_type != AT_NULL) {
		if (av.a_type == AT_ENTRY) {
			*entry = av.a_un.a_val;
			close(fd);
			return 0;
		}
	}
	close(fd);
	return -ENOENT;
}

/* wait for the next stop of the child; -ECHILD when it exited */
static int wait_stop(struct launch *l, int *sig, int *event)
{
	int st;

	for (;;) {
		if (waitpid(l->pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			l->exited = true;
			l->status = st;
			return -ECHILD;
		}
		if (WIFSTOPPED(st)) {
			*sig = WSTOPSIG(st);
			*event = st >> 16;
			return 0;
		}
	}
}

/* Continue the child until a stop STOP accepts; other signals go through
 * to the program. 0, or -ECHILD when it exited. */
static int cont_until(struct launch *l, bool (*stop)(int sig, int event))
{
	int sig, event, err;

	if (ptrace(PTRACE_CONT, l->pid, NULL, NULL))
		return -errno;
	for (;;) {
		err = wait_stop(l, &sig, &event);
		if (err)
			return err;
		if (stop(sig, event))
			return 0;
		if (ptrace(PTRACE_CONT, l->pid, NULL, (void *)(long)(event ? 0 : sig)))
			return -errno;
	}
}

static bool at_breakpoint(int sig, int event)
{
	return sig == SIGTRAP && !event;
}

static bool at_exec(int sig, int event)
{
	return event == PTRACE_EVENT_EXEC;
}

/* From an exec stop, run the child to the entry point of the new program
 * with a temporary breakpoint, then restore the instruction. */
static int run_to_entry(struct launch *l)
{
	unsigned long entry = 0, orig;
	struct user_regs_struct regs;
	int err;

	err = read_entry(l->pid, &entry);
	if (err)
		return err;
	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, l->pid, (void *)entry, NULL);
	if (errno)
		return -errno;
	if (ptrace(PTRACE_POKETEXT, l->pid, (void *)entry, (void *)((orig & ~0xffUL) | 0xcc)))
		return -errno;
	err = cont_until(l, at_breakpoint);
	if (err)
		return err;
	if (ptrace(PTRACE_GETREGS, l->pid, NULL, &regs))
		return -errno;
	if (regs.rip != entry + 1)
		return -EPROTO;
	regs.rip = entry;
	if (ptrace(PTRACE_POKETEXT, l->pid, (void *)entry, (void *)orig) ||
	    ptrace(PTRACE_SETREGS, l->pid, NULL, &regs))
		return -errno;
	return 0;
}

int launch__next_exec(struct launch *l)
{
	int err = cont_until(l, at_exec);

	return err ? err : run_to_entry(l);
}

int launch__start(char *const argv[], char *const env[], struct launch **out,
		  char *err, size_t errlen)
{
	struct launch *l = calloc(1, sizeof(*l));
	int pfd[2], sig, event, child_errno = 0, ret;

	if (!l || pipe2(pfd, O_CLOEXEC)) {
		free(l);
		return -errno;
	}
	l->pid = fork();
	if (l->pid < 0) {
		ret = -errno;
		free(l);
		return ret;
	}
	if (l->pid == 0) {
		close(pfd[0]);
		for (int i = 0; env && env[i]; i++) {
			char name[128];
			const char *eq = strchr(env[i], '=');
			if (!eq || eq - env[i] >= (long)sizeof(name))
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)(eq - env[i]), env[i]);
			setenv(name, eq + 1, 1);
		}
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[0], argv);
		child_errno = errno;
		if (write(pfd[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	l->traced = true;
	ret = wait_stop(l, &sig, &event);
	if (!ret && ptrace(PTRACE_SETOPTIONS, l->pid, NULL,
			   (void *)(PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)))
		ret = -errno;
	if (!ret)
		ret = launch__next_exec(l);
	if (ret == -ECHILD && read(pfd[0], &child_errno, sizeof(child_errno)) == sizeof(child_errno)) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(child_errno));
		ret = -child_errno;
	} else if (ret == -ECHILD) {
		snprintf(err, errlen, "%s exited before running any program", argv[0]);
	} else if (ret) {
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(-ret));
	}
	close(pfd[0]);
	if (ret) {
		launch__abort(l);
		return ret;
	}
	*out = l;
	return 0;
}

int launch__release(struct launch *l)
{
	if (!l->traced)
		return 0;
	l->traced = false;
	return ptrace(PTRACE_DETACH, l->pid, NULL, NULL) ? -errno : 0;
}

int launch__wait(struct launch *l, int *exit_code)
{
	return launch__wait_status(l, exit_code, NULL);
}

int launch__wait_status(struct launch *l, int *exit_code, int *wstatus)
{
	int st = l->status;

	if (!l->exited) {
		while (waitpid(l->pid, &st, 0) < 0) {
			if (errno != EINTR) {
				free(l);
				return -errno;
			}
		}
	}
	*exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (wstatus)
		*wstatus = st;
	free(l);
	return 0;
}

void launch__abort(struct launch *l)
{
	int code;

	if (!l)
		return;
	if (!l->exited)
		kill(l->pid, SIGKILL);
	launch__wait(l, &code);
}
