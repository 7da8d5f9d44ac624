// SPDX-License-Identifier: MIT
/* Parsing code maps (docs/coverage-map.md). Every line is checked: the text
 * comes from a program run with the target's interpreter. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "analysis/codemap.h"
#include "model/rec_labels.h"

char *codemap__unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (++i == n)
			goto bad;
		switch (s[i]) {
		case '\\': *o++ = '\\'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		default: goto bad;
		}
	}
	*o = 0;
	return out;
bad:
	free(out);
	return NULL;
}

char *codemap__escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(2 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r"
			      : *s == '\t' ? "\\t" : NULL;
		if (e) {
			memcpy(o, e, 2);
			o += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return out;
}

/* the parse in progress: files and the functions of the last one */
struct parser {
	struct codemap *m;
	struct codemap_file *files;
	size_t n_files, cap_files;
	struct codemap_func *funcs;	/* of the current file */
	size_t n_funcs, cap_funcs;
	char *err;
	size_t errlen;
	unsigned lineno;
};

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "code map line %u: ", p->lineno);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* close the current file: its functions become its own */
static void end_file(struct parser *p)
{
	if (p->n_files) {
		struct codemap_file *f = &p->files[p->n_files - 1];

		f->funcs = p->funcs;
		f->n_funcs = p->n_funcs;
	} else {
		free(p->funcs);
	}
	p->funcs = NULL;
	p->n_funcs = p->cap_funcs = 0;
}

static int parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (!n || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

/* "file STATUS NAME" */
static int on_file(struct parser *p, const char *s, size_t n)
{
	const char *sp = memchr(s, ' ', n);
	struct codemap_file *f;
	int status = -1;

	if (!sp)
		return fail(p, "file: no status");
	for (int i = 0; i < COV__COUNT; i++)
		if ((size_t)(sp - s) == strlen(cov_status__name(i)) &&
		    !memcmp(s, cov_status__name(i), sp - s))
			status = i;
	if (status < 0)
		return fail(p, "file: unknown status");
	end_file(p);
	if (array__grow((void **)&p->files, &p->cap_files, p->n_files, sizeof(*p->files)))
		return -ENOMEM;
	f = &p->files[p->n_files++];
	f->status = status;
	f->file = codemap__unescape(sp + 1, n - (sp + 1 - s));
	return f->file ? 0 : fail(p, "file: bad name");
}

/* "func FIRSTLINENO LINES QUALNAME": LINES is "-" or "1,2,3" */
static int on_func(struct parser *p, const char *s, size_t n)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *q, *end;
	struct codemap_func *fn;
	uint32_t *lines = NULL;
	size_t n_lines = 0, cap = 0;

	if (!p->n_files || p->files[p->n_files - 1].status != COV_MEASURED ||
	    !p->files[p->n_files - 1].abs)
		return fail(p, "func outside a measured file");
	sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (sp1 + 1 - s)) : NULL;
	if (!sp2)
		return fail(p, "func: too few fields");
	if (array__grow((void **)&p->funcs, &p->cap_funcs, p->n_funcs, sizeof(*p->funcs)))
		return -ENOMEM;
	fn = &p->funcs[p->n_funcs];
	if (parse_u32(s, sp1 - s, &fn->firstlineno))
		return fail(p, "func: bad first line");
	if (!(sp2 - sp1 == 2 && sp1[1] == '-')) {
		for (q = sp1 + 1; q < sp2; q = end + 1) {
			uint32_t v;

			end = memchr(q, ',', sp2 - q);
			if (!end)
				end = sp2;
			if (parse_u32(q, end - q, &v) || (n_lines && v <= lines[n_lines - 1]) ||
			    array__grow((void **)&lines, &cap, n_lines, sizeof(*lines))) {
				free(lines);
				return fail(p, "func: bad line list");
			}
			lines[n_lines++] = v;
		}
	}
	fn->lines = lines;
	fn->n_lines = n_lines;
	fn->qualname = codemap__unescape(sp2 + 1, n - (sp2 + 1 - s));
	if (!fn->qualname) {
		free(lines);
		return fail(p, "func: bad name");
	}
	p->n_funcs++;
	return 0;
}

static int on_line(struct parser *p, const char *s, size_t n)
{
	struct codemap_file *f = p->n_files ? &p->files[p->n_files - 1] : NULL;

#define IS(word) (n > sizeof(word) && !memcmp(s, word " ", sizeof(word)))
	if (IS("file"))
		return on_file(p, s + 5, n - 5);
	if (IS("func"))
		return on_func(p, s + 5, n - 5);
	if (IS("abs")) {
		if (!f || f->status != COV_MEASURED || f->abs)
			return fail(p, "abs outside a measured file");
		f->abs = codemap__unescape(s + 4, n - 4);
		return f->abs ? 0 : fail(p, "abs: bad path");
	}
	if (IS("source")) {
		if (!f || f->status != COV_MEASURED || !f->abs || f->source)
			return fail(p, "source outside a measured file");
		f->source = codemap__unescape(s + 7, n - 7);
		return f->source ? 0 : fail(p, "source: bad text");
	}
	if (IS("error")) {
		if (!f || f->status != COV_ERROR || f->error)
			return fail(p, "error outside a file in error");
		f->error = codemap__unescape(s + 6, n - 6);
		return f->error ? 0 : fail(p, "error: bad text");
	}
	if (IS("python")) {
		if (p->m->python)
			return fail(p, "python given twice");
		p->m->python = strndup(s + 7, n - 7);
		return p->m->python ? 0 : -ENOMEM;
	}
#undef IS
	return fail(p, "unknown record");
}

struct codemap *codemap__parse(const struct in_codemap *in, char *err, size_t errlen)
{
	static const char magic[] = "tracer-codemap 1";
	struct parser p = { .err = err, .errlen = errlen };
	const char *s = in->text, *end = in->text + in->len, *nl;
	int ret = 0;

	p.m = calloc(1, sizeof(*p.m));
	if (!p.m)
		return NULL;
	p.m->pid = in->pid;
	p.m->instance = in->instance;
	p.m->lines = in->lines;
	p.m->note = strndup(in->note, sizeof(in->note));
	for (p.lineno = 1; s < end && !ret; p.lineno++, s = nl + 1) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		if (p.lineno == 1)
			ret = ((size_t)(nl - s) == sizeof(magic) - 1 && !memcmp(s, magic, nl - s))
			      ? 0 : fail(&p, "not a code map (version 1)");
		else if (nl > s)
			ret = on_line(&p, s, nl - s);
	}
	if (!ret && p.lineno == 1)
		ret = fail(&p, "empty");
	end_file(&p);
	p.m->files = p.files;
	p.m->n_files = p.n_files;
	for (size_t i = 0; !ret && i < p.n_files; i++)
		if (p.files[i].status == COV_MEASURED && !p.files[i].abs)
			ret = fail(&p, "measured file %zu has no abs line", i + 1);
	if (ret || !p.m->note) {
		codemap__free(p.m);
		return NULL;
	}
	return p.m;
}

void codemap__free(struct codemap *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->n_files; i++) {
		const struct codemap_file *f = &m->files[i];

		for (uint32_t j = 0; j < f->n_funcs; j++) {
			free((char *)f->funcs[j].qualname);
			free((uint32_t *)f->funcs[j].lines);
		}
		free((void *)f->funcs);
		free((char *)f->file);
		free((char *)f->abs);
		free((char *)f->error);
		free((char *)f->source);
	}
	free((void *)m->files);
	free((char *)m->note);
	free((char *)m->python);
	free(m);
}
