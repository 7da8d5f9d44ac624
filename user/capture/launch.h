/* SPDX-License-Identifier: MIT */
/*
 * Launching a command so that probes are in place before its first Python
 * call: the child is traced (ptrace) through its execs and stopped at the
 * entry point of each new program, when the dynamic loader has mapped every
 * library but no code of the program has run. The caller inspects it there,
 * attaches probes, and releases it (ptrace detach: nothing is left in it).
 */
#ifndef TRACER_LAUNCH_H
#define TRACER_LAUNCH_H
#include <stddef.h>
#include <sys/types.h>

struct launch;

/* fork and exec ARGV (PATH search) with extra environment ENV (NULL
 * terminated "NAME=value" list, replacing what the tracer has); returns at
 * the entry point of the first exec'd program. -errno and ERR on failure
 * (command not found...). */
int launch__start(char *const argv[], char *const env[], struct launch **out,
		  char *err, size_t errlen);
pid_t launch__pid(const struct launch *l);
/* let the child run until the entry point of its next exec: 0, or -ECHILD
 * when it exited instead (its status is kept for launch__wait) */
int launch__next_exec(struct launch *l);
/* detach from the child: it runs on, untraced */
int launch__release(struct launch *l);
/* reap the child (blocking); fills the shell-style exit code
 * (128 + signal when killed). Frees L. */
int launch__wait(struct launch *l, int *exit_code);
/* the same, with its wait status in *WSTATUS (WIFEXITED, WTERMSIG...) */
int launch__wait_status(struct launch *l, int *exit_code, int *wstatus);
/* kill the child (SIGKILL), reap it, free L */
void launch__abort(struct launch *l);
#endif
