// SPDX-License-Identifier: MIT
/* tracer: exact call tracing of CPython processes with eBPF. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/args.h"
#include "cmd/commands.h"
#include "capture/sampler.h"
#include "capture/ccalls.h"
#include "capture/session.h"
#include "output/sinks.h"

#ifndef TRACER_VERSION
#define TRACER_VERSION "unknown"
#endif
#ifndef TRACER_COMMIT
#define TRACER_COMMIT "unknown"
#endif
/* set by the Makefile: the release and the git commit built */
const char *argp_program_version = "tracer " TRACER_VERSION " (commit " TRACER_COMMIT ")";
const char *argp_program_bug_address = "the project's issue tracker";

static const char doc[] =
"Trace every Python call of a CPython process, exactly, with eBPF.\n"
"\n"
"USAGE:\n"
"  tracer [OPTION...] -p PID            attach to a running Python process\n"
"  tracer [OPTION...] -- CMD [ARG...]   launch CMD and trace it\n"
"  tracer [OPTION...] -a                 every Python process of the host\n"
"  tracer record [OPTION...] ...         the same (the default verb)\n"
"  tracer dump -p PID [--json]           every thread's Python stack, now\n"
"  tracer top -p PID                     live view of the hottest functions\n"
"  tracer report RECORDING.trace -o FILE...   convert a recording (no root)\n"
"  tracer layout 3.X                     print a CPython structure layout\n"
"A subcommand is recognised first: `tracer -- top` launches a program named\n"
"top. `tracer SUBCOMMAND --help` describes each.\n"
"\n"
"Without -o, a summary is printed when the session ends. The session ends when\n"
"the process exits, after -d SECONDS, or on Ctrl-C/SIGTERM; outputs are always\n"
"complete files. In launch mode the exit status is the command's.\n"
"\n"
"OUTPUT FORMATS (by the -o file name):\n"
"@FORMATS@"
"  NAME.trace      native recording, streamed; `tracer report` converts it\n"
"  -               the summary, on stdout (the default without -o)\n"
"\n"
"EXAMPLES:\n"
"  sudo tracer -- python3 app.py            # summary of app.py's calls\n"
"  sudo tracer -o app.json -- python3 app.py  # timeline for ui.perfetto.dev\n"
"  sudo tracer -p 1234 -d 10 -o t.trace     # record a running process for 10 s\n"
"  tracer report t.trace -o t.json          # turn a recording into a timeline\n"
"  sudo tracer -s eval -- python3.12 x.py   # force the perf-trampoline probes\n"
"  sudo tracer --sample -p 1234 -d 30 -o flame.svg  # CPU profile, 99 Hz\n"
"  sudo tracer --wall -p 1234 -d 30 -o wall.pprof   # where threads wait too\n"
"  sudo tracer record -r 200 -p 1234 -o flame.svg  # py-spy's habits: 200 Hz\n"
"  sudo tracer dump -p 1234                 # what every thread is doing now\n"
"  sudo tracer top -p 1234                  # live hottest functions (q quits)\n"
"  sudo tracer -o cov.lcov -o cov.xml -- python3 -m pytest  # coverage maps\n"
"  sudo tracer -o cov.html -- python3 -m pytest  # page: source, hit/missed\n"
"  sudo tracer -p 1234 -d 60 -o cov.lcov --include '/srv/app/*'\n"
"  tracer report a.trace b.trace -o merged.lcov  # coverage of two recordings\n"
"  sudo tracer -f -o app.json -- python3 app.py  # and its child processes\n"
"  sudo tracer -f -p 1234 -d 10 -o srv.json     # a server and its workers\n"
"  sudo tracer -a -d 30 -o host.pftrace        # every Python process, 30 s\n"
"  sudo tracer -a --comm gunicorn --exclude-pid 1234 -d 10\n"
"  sudo tracer -a --cgroup /sys/fs/cgroup/system.slice/app.service -o app.json\n""  sudo tracer -a --sample -d 10 -o host.svg    # what every Python process runs\n"
"  sudo tracer -a --comm pytest -o host.lcov     # coverage of every pytest run\n"
"  sudo tracer --async-tasks -o tasks.json -- python3 server.py  # asyncio tasks\n"
"  sudo tracer --c-calls -o t.json -- python3 app.py  # C calls (len...) too\n"
"\n"
"COVERAGE (-o NAME.lcov, .info, .xml, .cov.txt, .html; or --coverage for a\n"
"recording):\n"
"  Every function of every file that ran, with its exact number of calls,\n"
"  including functions never called. Lines that ran, where the interpreter\n"
"  reports line events: builds with USDT probes (Debian's python3.11; launch\n"
"  and attach) and CPython 3.12+ launched by the tracer (a bootstrap turns on\n"
"  sys.monitoring line events; nothing is written to disk). Elsewhere\n"
"  functions only, as the summary says. Files measured by default: all but\n"
"  the interpreter's standard library and site-/dist-packages. For CI: -o -\n"
"  prints coverage.py's report -m too, --fail-under=PCT exits 2 below PCT.\n"
"  The HTML report shows each file's text, read with the process's rights.\n"
"\n"
"SAMPLING (--sample[=HZ]):\n"
"  Instead of tracing every call, sample the Python stack of each thread of\n"
"  the process that is on a CPU, HZ times a second per CPU (default 99), with\n"
"  a cpu-clock perf event and a BPF frame walk (up to 2048 frames; deeper\n"
"  stacks are cut and marked [truncated]). Works on 3.8-3.14, launched or\n"
"  attached, with no USDT. .folded values and the summary are sample counts;\n"
"  .pprof has cpu samples with their period; .svg too; .speedscope.json,\n"
"  .pftrace and .json show them as slices on each thread's timeline (in the\n"
"  last two, each with the samples it stands for). Not with recordings\n"
"  (.trace) or coverage.\n"
"  --lines splits each function by the line it was executing, named\n"
"  qualname:LINE (qualname:? where the line table could not be read), e.g.\n"
"    sudo tracer --sample --lines -o lines.folded -- python3 app.py\n"
"  --wall samples every thread of the process HZ times a second (default 99),\n"
"  running or not, so sleeping and waiting show (like py-spy --idle); --wall\n"
"  alone means --sample --wall. Each sample weighs the real time since the\n"
"  previous tick; the summary gives the rate reached and the ticks missed.\n"
"  Needs Linux 6.1+ (a sleepable task iterator, read once a tick).\n"
"\n"
"JIT CODE (every mode):\n"
"  Code registered through CPython 3.12+'s PyUnstable_WritePerfMapEntry (the\n"
"  perf trampoline of -X perf, JITs using the perf-map API) is recorded live:\n"
"  an instant per compiled unit in .json/.pftrace, counts in the summary.\n"
"  Attaching also reads /tmp/perf-PID.map (not through a symlink, only when\n"
"  owned by the process's user). A jitdump the process maps (perf's\n"
"  jit-PID.dump: CPython 3.13 -X perf_jit, V8, LuaJIT, JVM agents) is read\n"
"  through the mapping itself (only when owned by the process's user) and\n"
"  followed as it grows; it is looked for after 20 ms, then at intervals\n"
"  doubling up to 1 s. A sample in such code gets an innermost frame\n"
"  `[jit] NAME`.\n"
"\n"
"SYSTEM-WIDE (-a):\n"
"  Every Python process: those running now and those started until the end\n"
"  (through exec, fork, in containers and PID namespaces), in one set of\n"
"  outputs: one process group each, named by its host PID, its PID in its\n"
"  namespace and its cgroup. Each interpreter file is probed once, for every\n"
"  process mapping it; a process of a file already probed is traced from its\n"
"  first call. Filters: --comm NAME (the process name, repeatable), --cgroup\n"
"  DIR (a cgroup v2 directory, with its sub-groups), --exclude-pid PID\n"
"  (repeatable). On a terminal a status line shows the processes traced,\n"
"  events/s and events lost. With USDT builds (Debian's python3.11) the\n"
"  probes are enabled in every process of that interpreter, filtered or not,\n"
"  and slow each one down while the session runs. --sample samples every\n"
"  Python process found; coverage outputs merge all processes into one map\n"
"  (lines where the build has USDT probes, functions elsewhere). No\n"
"  --strategy with -a.\n"
"\n"
"CHILD PROCESSES (-f, --subprocesses):\n"
"  With -p PID or a command, every descendant process that runs Python is\n"
"  traced too (fork, fork+exec, multiprocessing, subprocess), exact from its\n"
"  first call, each a process group of its own in one set of outputs: the\n"
"  -a machinery, for the target's process tree only (each interpreter file\n"
"  is probed for every process mapping it; others return at once). A forked\n"
"  child's frames open at the fork show as running from its first call. The\n"
"  session ends when the target and its traced children have exited.\n"
"  Without -f, the Python child processes left untraced are counted and\n"
"  said at the end (stderr, summary, the outputs' warnings).\n"
"\n"
"PROBE STRATEGIES (chosen per process; the summary names the one used):\n"
"  usdt      builds with USDT probes (Debian/Ubuntu python3 <= 3.11)\n"
"  dispatch  3.11-3.13 with symbols and DWARF (pyenv, source builds):\n"
"            uprobes in the eval loop's RESUME/RETURN/YIELD handlers\n"
"  eval      3.8-3.10; 3.12+ with the perf trampoline (-X perf)\n"
"\n"
"OPTIONS:";

/* long options only */
enum { OPT_INCLUDE = 0x100, OPT_OMIT, OPT_COVERAGE, OPT_SAMPLE, OPT_LINES, OPT_WALL,
       OPT_COMM, OPT_CGROUP, OPT_EXCLUDE_PID, OPT_FAIL_UNDER, OPT_SORT, OPT_TOP,
       OPT_C_CALLS, OPT_ASYNC_TASKS, OPT_SUBTRACT };

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Attach to the running process PID", 0 },
	{ "all", 'a', NULL, 0, "Trace every Python process of the host, running or started later", 0 },
	{ "subprocesses", 'f', NULL, 0, "With -p or a command: follow its child processes too (fork, exec, multiprocessing, subprocess), each a process of its own in the outputs", 0 },
	{ "comm", OPT_COMM, "NAME", 0, "With -a: only processes named NAME (repeatable)", 0 },
	{ "cgroup", OPT_CGROUP, "DIR", 0, "With -a: only processes in the cgroup v2 directory DIR or below", 0 },
	{ "exclude-pid", OPT_EXCLUDE_PID, "PID", 0, "With -a: not process PID (repeatable)", 0 },
	{ "output", 'o', "FILE", 0, "Write FILE (format by suffix; repeatable)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop tracing after SECONDS", 0 },
	{ "buffer-size", 'b', "MiB", 0, "BPF ring buffer size in MiB (power of 2, default 16)", 0 },
	{ "strategy", 's', "NAME", 0, "Force a probe strategy: usdt, dispatch or eval (default: the best exact one)", 0 },
	{ "include", OPT_INCLUDE, "GLOB", 0, "Coverage: measure only files whose absolute path matches GLOB (fnmatch, * matches /; repeatable)", 0 },
	{ "omit", OPT_OMIT, "GLOB", 0, "Coverage: do not measure files matching GLOB (repeatable)", 0 },
	{ "coverage", OPT_COVERAGE, NULL, 0, "Measure coverage (line events, code maps) for a recording; implied by a coverage output; with -o -, print the coverage report", 0 },
	{ "fail-under", OPT_FAIL_UNDER, "PCT", 0, "Coverage: exit with status 2 when the total is lower than PCT percent (said on stderr)", 0 },
	{ "sample", OPT_SAMPLE, "HZ", OPTION_ARG_OPTIONAL, "Sample the Python stacks of the running threads HZ times a second per CPU (default 99) instead of tracing calls", 0 },
	{ "lines", OPT_LINES, NULL, 0, "With --sample: a frame is the line its function executes (qualname:LINE), in every output", 0 },
	{ "rate", 'r', "HZ", 0, "The sampling rate (py-spy's, austin's -r): --sample=HZ", 0 },
	{ "wall", OPT_WALL, "HZ", OPTION_ARG_OPTIONAL, "Sample every thread, running or not (wall-clock time); implies --sample (--wall=HZ: at HZ)", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "The summary's table by KEY: self, total or calls (default: total time of calls; self samples when sampling)", 0 },
	{ "top", OPT_TOP, "N", 0, "The summary's table: N functions (default 50; 0: all)", 0 },
	{ "c-calls", OPT_C_CALLS, NULL, 0, "Calls of C functions too (sys.setprofile's c_call: sorted, len, list.append, time.sleep...), with the Python calls they make inside: CPython 3.11 to 3.14 with the dispatch strategy, stripped builds too, and 3.8 to 3.10 with the eval strategy (docs/c-calls.md); refused elsewhere", 0 },
	{ "subtract-probe-cost", OPT_SUBTRACT, NULL, 0, "Take the probes' own cost out of self and total times (summary, .folded, .svg, .pprof, .speedscope.json; not the .json/.pftrace timelines): each probe hit's trap and BPF program, calibrated in the session, single-stepped sites included, split around the hit's timestamp; said in the outputs, by how much per hit (docs/observer-effect.md). -p or a command, calls traced", 0 },
	{ "async-tasks", OPT_ASYNC_TASKS, NULL, 0, "asyncio (3.11-3.14): the Task each call runs for, as the calls' `task` argument and a track per task (.json, .pftrace)", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf's debug messages, the start's phases and the dispatch probe sites", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct session_opts *o = state->input;
	char *end;

	switch (key) {
	case 'p':
		errno = 0;
		o->pid = strtol(arg, &end, 10);
		if (errno || *end || o->pid <= 0)
			argp_error(state, "invalid PID: %s", arg);
		break;
	case 'a':
		o->all = true;
		break;
	case 'f':
		o->subprocesses = true;
		break;
	case OPT_FAIL_UNDER:
		if (outputs__parse_fail_under(arg, &o->fail_under))
			argp_error(state, "--fail-under: not a percent from 0 to 100: %s", arg);
		o->fail_under_set = true;
		break;
	case OPT_COMM:
		if (o->n_comm == SESSION_MAX_COMMS)
			argp_error(state, "too many --comm (at most %d)", SESSION_MAX_COMMS);
		o->comm[o->n_comm++] = arg;
		break;
	case OPT_CGROUP:
		o->cgroup = arg;
		break;
	case OPT_EXCLUDE_PID: {
		long pid;

		if (o->n_exclude == SESSION_MAX_EXCLUDED)
			argp_error(state, "too many --exclude-pid (at most %d)", SESSION_MAX_EXCLUDED);
		errno = 0;
		pid = strtol(arg, &end, 10);
		if (errno || *end || pid <= 0 || pid > 0x7fffffff)
			argp_error(state, "invalid PID: %s", arg);
		o->exclude_pid[o->n_exclude++] = pid;
		break;
	}
	case 'o':
		if (o->n_outputs == OUTPUTS_MAX)
			argp_error(state, "too many -o (at most %d)", OUTPUTS_MAX);
		o->outputs[o->n_outputs++] = arg;
		break;
	case 'd':
		o->duration = cmd_args__duration(state, arg);
		break;
	case 'b': {
		long mib = strtol(arg, &end, 10);
		if (*end || mib <= 0 || mib > 4096 || (mib & (mib - 1)))
			argp_error(state, "invalid buffer size (a power of 2 MiB, 1-4096): %s", arg);
		o->ringbuf_bytes = (size_t)mib << 20;
		break;
	}
	case 's':
		o->strategy = arg;
		break;
	case 'v':
		o->verbose = true;
		break;
	case OPT_INCLUDE:
		if (o->filter.n_include == COVER_MAX_GLOBS)
			argp_error(state, "too many --include (at most %d)", COVER_MAX_GLOBS);
		o->filter.include[o->filter.n_include++] = arg;
		o->coverage = true;
		break;
	case OPT_OMIT:
		if (o->filter.n_omit == COVER_MAX_GLOBS)
			argp_error(state, "too many --omit (at most %d)", COVER_MAX_GLOBS);
		o->filter.omit[o->filter.n_omit++] = arg;
		o->coverage = true;
		break;
	case OPT_COVERAGE:
		o->coverage = true;
		break;
	case OPT_LINES:
		o->sample_lines = true;
		break;
	case 'r':
	case OPT_SAMPLE:
		o->sample_hz = arg ? cmd_args__rate(state, arg) : SAMPLER_DEFAULT_HZ;
		break;
	case OPT_SORT:
		if ((o->summary_sort = summary__parse_sort(arg)) < 0)
			argp_error(state, "--sort: self, total or calls, not %s", arg);
		break;
	case OPT_TOP: {
		long n;

		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || n < 0 || n > 1000000)
			argp_error(state, "--top: a number of functions (0: all), not %s", arg);
		o->summary_top = n;
		break;
	}
	case OPT_C_CALLS:
		/* issue 21: where it is not supported it is refused before
		 * anything runs (here, or once the interpreter is known:
		 * user/capture/ccalls.c), never partial data */
		o->c_calls = true;
		break;
	case OPT_ASYNC_TASKS:
		o->async_tasks = true;
		break;
	case OPT_SUBTRACT:
		o->subtract_probe_cost = true;
		break;
	case OPT_WALL:
		o->wall = true;
		/* --wall=HZ: the rate, as --sample=HZ says it */
		if (arg)
			return parse_opt(OPT_SAMPLE, arg, state);
		break;
	case ARGP_KEY_ARG:
		/* the command: everything from the first non-option on */
		o->argv = state->argv + state->next - 1;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if ((o->pid != 0) + (o->argv != NULL) + o->all != 1)
			argp_error(state, "give one of -p PID, -a or -- CMD [ARG...]");
		if (o->subprocesses && o->all)
			argp_error(state, "--subprocesses follows the process tree of -p PID or a "
				   "command; -a follows every process already");
		if (!o->all && (o->n_comm || o->cgroup || o->n_exclude))
			argp_error(state, "--comm, --cgroup and --exclude-pid choose processes for -a");
		/* --wall alone: sampling at the default rate */
		if (o->wall && !o->sample_hz)
			o->sample_hz = SAMPLER_DEFAULT_HZ;
		if (o->sample_lines && !o->sample_hz)
			argp_error(state, "--lines splits CPU samples by line: it needs --sample");
		/* the wall-clock sampler walks each thread twice (a sample that
		 * changed while read is marked); with the line tables' reads
		 * too it is more than the kernel's verifier takes (measured on
		 * Linux 6.18: over 1,000,000 instructions, where --wall alone
		 * verifies ~650,000): refused here, not at the load */
		if (o->sample_lines && o->wall)
			argp_error(state, "--lines with --wall: the wall-clock sampler with line "
				   "tables is larger than the kernel's BPF verifier takes; use --wall "
				   "(functions) or --sample --lines (CPU samples by line)");
		if (o->summary_sort == SUMMARY_SORT_CALLS && o->sample_hz)
			argp_error(state, "--sort calls: sampling counts no calls (self or total samples)");
		if (o->strategy && o->sample_hz)
			argp_error(state, "--strategy picks how calls are probed: --sample probes none");
		if (o->async_tasks && (o->sample_hz || o->all || o->subprocesses))
			argp_error(state, "--async-tasks tags traced calls of one process (-p or "
				   "launch): not with --sample, -a or --subprocesses");
		/* (the cost is calibrated for one process's call probes) */
		if (o->subtract_probe_cost && (o->all || o->subprocesses || o->sample_hz ||
					       o->coverage || o->c_calls))
			argp_error(state, "--subtract-probe-cost: the cost of the call probes of one "
				   "process (-p or a command); not with -a, --subprocesses, --sample, "
				   "--coverage or --c-calls: nothing was traced");
		if (o->c_calls && (o->all || o->subprocesses || o->sample_hz || o->coverage))
			argp_error(state, "--c-calls: not with -a, --subprocesses, --sample or --coverage (supported: "
				   "%s): nothing was traced", CCALLS_SUPPORTED);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* the formats' lines of --help, from the table of formats (user/output/sinks.c) */
static char *help_filter(int key, const char *text, void *input)
{
	const char *at = text ? strstr(text, "@FORMATS@") : NULL;
	const struct sink_ops *f;
	char *out = NULL, name[32];
	size_t len = 0;
	FILE *m;

	if (!at || !(m = open_memstream(&out, &len)))
		return (char *)text;
	fwrite(text, 1, at - text, m);
	for (size_t i = 0; (f = sinks__at(i)); i++) {
		snprintf(name, sizeof(name), "NAME%s", f->suffix);
		/* argp wraps lines at 79 columns without indenting */
		if (strlen(name) > 15 || 18 + strlen(f->help) > 78)
			fprintf(m, "  %s\n        %s\n", name, f->help);
		else
			fprintf(m, "  %-15s %s\n", name, f->help);
	}
	fputs(at + strlen("@FORMATS@"), m);
	fclose(m);
	return out;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc, NULL, help_filter,
					  NULL };
	struct session_opts o = { .ringbuf_bytes = 16 << 20, .summary_top = -1 };

	const struct command *cmd = argc > 1 ? commands__find(argv[1]) : NULL;
	char name[32];

	/* messages say "tracer ...", not the path it was run by */
	if (cmd) {
		snprintf(name, sizeof(name), "tracer %s", cmd->name);
		argv[1] = name;
		return cmd->run(argc - 1, argv + 1);
	}
	argv[0] = "tracer";
	/* `tracer record ...`: tracing, the default verb, named */
	if (argc > 1 && !strcmp(argv[1], "record")) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &o);
	return o.all || o.subprocesses ? session_all__run(&o) : session__run(&o);
}
