// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "util/array.h"
#include "util/mono_clock.h"
#include "capture/dispatch_say.h"
#include "capture/probes.h"
#include "cpython/pyversion.h"
#include "model/strategy.h"
#include "capture/sw_bins.h"
#include "util/text_escape.h"
#include "tracer.skel.h"

struct sw_bins {
	struct tracer_bpf *skel;
	struct sw_bin **v;
	struct probes **probes;	/* per entry, NULL when refused */
	size_t n, cap, cap_probes;
	bool calls, verbose;
};

struct sw_bins *sw_bins__new(struct tracer_bpf *skel, bool calls, bool verbose)
{
	struct sw_bins *b = calloc(1, sizeof(*b));

	if (b) {
		b->skel = skel;
		b->calls = calls;
		b->verbose = verbose;
	}
	return b;
}

/* Why T's file cannot be traced exactly under -a, or NULL */
static const char *refusal(const struct target *t)
{
	if (t->cfg.layout.free_threaded)
		return "a free-threaded build (3.14t): -a loads its programs for GIL builds' "
		       "strings and bytecode, load-time constants of the session (bpf/pyobj.bpf.h); "
		       "sample it with -p PID";
	if (t->cfg.strategy == TR_STRATEGY_EVAL && !t->bin.eval_sees_every_call)
		return "eval on 3.12+ depends on each process's perf trampoline, which a "
		       "process started later may not have; -a needs dispatch (symbols and DWARF)";
	return NULL;
}

static int attach(struct sw_bins *b, struct sw_bin *e, struct probes **p)
{
	struct tr_bin_cfg bc;
	char err[256];
	int ret;

	target__template(&e->tmpl, &bc, e->id);
	/* the template first: a hit right after attach makes an entry from it */
	ret = bpf_map__update_elem(b->skel->maps.bins, &e->id, sizeof(e->id), &bc, sizeof(bc),
				   BPF_ANY);
	if (ret) {
		snprintf(e->refused, sizeof(e->refused), "cannot register the file: %s",
			 strerror(-ret));
		return ret;
	}
	ret = probes__attach_file(b->skel, &e->tmpl, e->id, b->calls, p, err, sizeof(err));
	if (ret) {
		snprintf(e->refused, sizeof(e->refused), "%s", err);
		return ret;
	}
	e->attach_ts = mono_clock__ns();
	e->links = probes__count(*p);
	return 0;
}

static void say(const struct sw_bin *e, bool calls, bool verbose)
{
	char ver[16];

	pyversion__format(e->tmpl.bin.version_hex, ver, sizeof(ver));
	/* the binary's path is a traced user's choice: escaped */
	if (e->refused[0]) {
		fputs("tracer: ", stderr);
		text_escape__term(stderr, e->tmpl.file);
		fprintf(stderr, " (CPython %s): not traced: ", ver);
		text_escape__term(stderr, e->refused);
		fputc('\n', stderr);
		return;
	}
	fputs(calls ? "tracer: probing " : "tracer: sampling the processes of ", stderr);
	text_escape__term(stderr, e->tmpl.file);
	if (calls)
		fprintf(stderr, " (CPython %s, strategy %s): %zu probes, for every process that "
			"maps it\n", ver, strategy__name(e->tmpl.cfg.strategy), e->links);
	else
		fprintf(stderr, " (CPython %s)%s\n", ver, e->links ? "; probed where code is freed "
			"(and JIT entries registered) in every process that maps it" : "");
	for (uint32_t i = 0; i < e->tmpl.n_warnings; i++) {
		fputs("tracer: warning: ", stderr);
		text_escape__term(stderr, e->tmpl.file);
		fputs(": ", stderr);
		text_escape__term(stderr, e->tmpl.warnings[i]);
		fputc('\n', stderr);
	}
	if (calls && verbose)
		dispatch_say__sites(stderr, &e->tmpl);
}

const struct sw_bin *sw_bins__of(struct sw_bins *b, const struct target *t)
{
	struct probes *p = NULL;
	struct sw_bin *e;
	struct stat st;
	const char *why;
	int fd = open(t->open_path, O_RDONLY | O_CLOEXEC);

	/* the file, held open: its path through /proc/PID/root lasts only as
	 * long as the process (a short one may be first of its file) */
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		errno = ESRCH;
		return NULL;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i]->dev == st.st_dev && b->v[i]->ino == st.st_ino) {
			close(fd);
			return b->v[i];
		}
	if (array__grow((void **)&b->v, &b->cap, b->n, sizeof(*b->v)) ||
	    array__grow((void **)&b->probes, &b->cap_probes, b->n, sizeof(*b->probes)) ||
	    !(e = calloc(1, sizeof(*e)))) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	e->id = b->n + 1;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->fd = fd;
	e->tmpl = *t;
	snprintf(e->tmpl.open_path, sizeof(e->tmpl.open_path), "/proc/self/fd/%d", fd);
	if ((why = refusal(t)))
		snprintf(e->refused, sizeof(e->refused), "%s", why);
	else if (b->n >= TR_BINS_MAX)
		snprintf(e->refused, sizeof(e->refused), "more than %d interpreter files",
			 TR_BINS_MAX);
	else
		attach(b, e, &p);
	b->v[b->n] = e;
	b->probes[b->n++] = p;
	say(e, b->calls, b->verbose);
	return e;
}

const struct sw_bin *sw_bins__by_id(const struct sw_bins *b, uint32_t id)
{
	return b && id >= 1 && id <= b->n ? b->v[id - 1] : NULL;
}

size_t sw_bins__probed(const struct sw_bins *b, size_t *links)
{
	size_t n = 0;

	*links = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->probes[i]) {
			n++;
			*links += b->v[i]->links;
		}
	return n;
}

void sw_bins__detach(struct sw_bins *b)
{
	if (b)
		probes__detach_many(b->probes, b->n);
}

void sw_bins__free(struct sw_bins *b)
{
	if (!b)
		return;
	sw_bins__detach(b);
	for (size_t i = 0; i < b->n; i++) {
		close(b->v[i]->fd);
		free(b->v[i]);
	}
	free(b->v);
	free(b->probes);
	free(b);
}
