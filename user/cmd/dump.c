// SPDX-License-Identifier: MIT
/*
 * `tracer dump -p PID [--json]`: every thread's Python stack, now (py-spy
 * dump). No BPF and no probe: the process's memory is read from outside
 * (user/capture/py_stacks.c), so it takes milliseconds and leaves nothing
 * behind. Text: one block per thread, innermost frame first, as py-spy
 * prints it; --json: the schema of docs/dump.md. --locals: each frame's
 * variables under it (user/capture/py_locals.c: what is shown of a value).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture/py_stacks.h"
#include "capture/target.h"
#include "cmd/args.h"
#include "cmd/commands.h"
#include "cpython/pyversion.h"
#include "model/path_norm.h"
#include "util/json_writer.h"
#include "util/text_escape.h"

struct dump_opts {
	int pid;
	bool json;
	bool locals;
};

static const char dump_doc[] =
"Print every thread's Python stack of process PID, now, innermost frame\n"
"first (like py-spy dump). Nothing is attached: the process's memory is read\n"
"(as root), its threads are not stopped. A thread running Python code while\n"
"it is read may show a mix of two instants (or a cut stack, said); a waiting\n"
"thread's stack is exact. CPython 3.8-3.14.\n"
"\n"
"--locals shows each frame's variables (CPython 3.11-3.14): None, bool, int,\n"
"float and str values as Python's repr (a str cut to 64 characters), other\n"
"objects as <TYPE at 0xADDRESS>; nothing of the process is run.\n"
"\n"
"EXAMPLES:\n"
"  sudo tracer dump -p 1234\n"
"  sudo tracer dump -p 1234 --locals\n"
"  sudo tracer dump -p 1234 --json | jq '.threads[].frames[0]'\n"
"\n"
"OPTIONS:";

static const struct argp_option dump_options[] = {
	{ "pid", 'p', "PID", 0, "The process", 0 },
	{ "json", 'j', NULL, 0, "JSON on stdout (schema: docs/dump.md)", 0 },
	{ "locals", 'l', NULL, 0, "Each frame's local variables too (CPython 3.11-3.14)", 0 },
	{},
};

static error_t dump_parse(int key, char *arg, struct argp_state *state)
{
	struct dump_opts *o = state->input;

	switch (key) {
	case 'p':
		o->pid = cmd_args__pid(state, arg);
		break;
	case 'j':
		o->json = true;
		break;
	case 'l':
		o->locals = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	case ARGP_KEY_END:
		if (!o->pid)
			argp_error(state, "which process? -p PID");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void dump__text(const struct target *t, const struct py_stacks *s, FILE *f)
{
	char ver[16];

	fprintf(f, "Process %d: CPython %s (", t->pid,
		pyversion__format(t->bin.version_hex, ver, sizeof(ver)));
	text_escape__term(f, t->file);
	fprintf(f, "), %zu thread%s\n", s->n, s->n == 1 ? "" : "s");
	for (size_t i = 0; i < s->n; i++) {
		const struct py_thread *th = &s->v[i];

		fprintf(f, "\nThread %d", th->tid);
		if (th->py_name) {
			fputs(" \"", f);
			text_escape__term(f, th->py_name);
			fputc('"', f);
		}
		if (th->os_name[0]) {
			fputs(" (", f);
			text_escape__term(f, th->os_name);
			fputc(')', f);
		}
		fprintf(f, " ident 0x%llx%s\n", (unsigned long long)th->ident,
			th->n ? "" : ": no Python frame");
		for (size_t j = 0; j < th->n; j++) {
			fputs("    ", f);
			text_escape__term(f, th->frames[j].name);
			fputs(" (", f);
			text_escape__term(f, th->frames[j].file);
			if (th->frames[j].line)
				fprintf(f, ":%u)\n", th->frames[j].line);
			else
				fputs(":?)\n", f);
			if (th->frames[j].locals_unreadable)
				fputs("        [locals unreadable]\n", f);
			for (size_t k = 0; k < th->frames[j].n_locals; k++) {
				fputs("        ", f);
				text_escape__term(f, th->frames[j].locals[k].name);
				fputs(" = ", f);
				text_escape__term(f, th->frames[j].locals[k].value);
				fputc('\n', f);
			}
		}
		if (th->truncated)
			fprintf(f, "    [truncated: deeper than %d frames]\n", PY_STACKS_MAX_FRAMES);
		if (th->read_error)
			fputs("    [cut: a frame could not be read (the thread moved on)]\n", f);
	}
}

/* ,"locals":[{"name":...,"value":...},...] (null: unreadable) */
static void dump__json_locals(struct json_writer *jw, const struct py_frame *fr)
{
	json_writer__raw(jw, ",\"locals\":");
	if (fr->locals_unreadable) {
		json_writer__raw(jw, "null");
		return;
	}
	json_writer__raw(jw, "[");
	for (size_t k = 0; k < fr->n_locals; k++) {
		json_writer__raw(jw, k ? ",{\"name\":" : "{\"name\":");
		json_writer__string(jw, fr->locals[k].name);
		json_writer__raw(jw, ",\"value\":");
		json_writer__string(jw, fr->locals[k].value);
		json_writer__raw(jw, "}");
	}
	json_writer__raw(jw, "]");
}

static void dump__json(const struct target *t, const struct py_stacks *s, bool locals, FILE *f)
{
	struct json_writer jw;
	char ver[16];

	json_writer__init(&jw, f);
	json_writer__printf(&jw, "{\"pid\":%d,\"python\":", t->pid);
	json_writer__string(&jw, pyversion__format(t->bin.version_hex, ver, sizeof(ver)));
	json_writer__raw(&jw, ",\"interpreter\":");
	json_writer__string(&jw, t->file);
	json_writer__raw(&jw, ",\"threads\":[");
	for (size_t i = 0; i < s->n; i++) {
		const struct py_thread *th = &s->v[i];

		json_writer__printf(&jw, "%s{\"tid\":%d,\"ident\":%llu,\"name\":", i ? "," : "",
				    th->tid, (unsigned long long)th->ident);
		if (th->py_name)
			json_writer__string(&jw, th->py_name);
		else
			json_writer__raw(&jw, "null");
		json_writer__raw(&jw, ",\"os_name\":");
		json_writer__string(&jw, th->os_name);
		json_writer__printf(&jw, ",\"truncated\":%s,\"cut\":%s,\"frames\":[",
				    th->truncated ? "true" : "false",
				    th->read_error ? "true" : "false");
		for (size_t j = 0; j < th->n; j++) {
			json_writer__raw(&jw, j ? ",{\"name\":" : "{\"name\":");
			json_writer__string(&jw, th->frames[j].name);
			json_writer__raw(&jw, ",\"file\":");
			json_writer__string(&jw, th->frames[j].file);
			json_writer__printf(&jw, ",\"line\":%u,\"firstlineno\":%u",
					    th->frames[j].line, th->frames[j].firstlineno);
			if (locals)
				dump__json_locals(&jw, &th->frames[j]);
			json_writer__raw(&jw, "}");
		}
		json_writer__raw(&jw, "]}");
	}
	json_writer__raw(&jw, "]}\n");
	json_writer__flush(&jw);
}

int cmd_dump(int argc, char **argv)
{
	static const struct argp argp = { dump_options, dump_parse, NULL, dump_doc, NULL, NULL,
					  NULL };
	struct dump_opts o = {};
	struct py_stacks s = {};
	struct target *t = calloc(1, sizeof(*t));
	char err[512];
	int ret = 1;

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (!t)
		return 1;
	if (geteuid() != 0)
		fprintf(stderr, "tracer dump: not root: reading PID %d's memory may be refused\n",
			o.pid);
	if (target__inspect(NULL, o.pid, TARGET_ATTACH, false, NULL, t, err, sizeof(err)) ||
	    (o.locals ? py_stacks__read_locals(t, &s, err, sizeof(err))
		      : py_stacks__read(t, &s, err, sizeof(err)))) {
		fputs("tracer dump: ", stderr);
		text_escape__term(stderr, err);
		fputc('\n', stderr);
		goto cleanup;
	}
	/* file names as every output shows them (model/path_norm.c) */
	for (size_t i = 0; i < s.n; i++)
		for (size_t j = 0; j < s.v[i].n; j++)
			path_norm__apply(s.v[i].frames[j].file);
	if (o.json)
		dump__json(t, &s, o.locals, stdout);
	else
		dump__text(t, &s, stdout);
	ret = fflush(stdout) || ferror(stdout) ? 1 : 0;
cleanup:
	py_stacks__free(&s);
	free(t);
	return ret;
}
