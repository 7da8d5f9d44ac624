// SPDX-License-Identifier: MIT
/*
 * A frame's local variables, read from outside (see py_locals.h).
 *
 * From 3.11 a frame (_PyInterpreterFrame) ends with localsplus[]: its
 * locals, then its cells and free variables, then its value stack. The code
 * object says how many of them are variables (co_nlocalsplus), their names
 * (co_localsplusnames, a tuple of str) and kinds (co_localspluskinds, a
 * bytes object: CO_FAST_LOCAL, _CELL, _FREE, and 3.12's _HIDDEN for the
 * variables of an inlined comprehension, not shown). A slot holds NULL
 * while the variable is unbound (not shown: locals() leaves it out too), a
 * cell object for a cell or free variable once MAKE_CELL ran (its content
 * is shown). In 3.14 a slot is a _PyStackRef: a pointer whose bit 0 says
 * its reference is deferred (masked off), the bits 1 alone for NULL, and
 * bits 0-1 both set for a tagged small int (the value shifted left by 2).
 *
 * The offsets below are offsetof() of the interpreters' own headers
 * (Debian's /usr/include/python3.11 and pyenv's include/python3.X/internal,
 * compiled with Py_BUILD_CORE), for the default (GIL, release) builds. A
 * build laid out otherwise (free-threaded, Py_TRACE_REFS) fails the checks
 * every code object must pass: its co_nlocalsplus equal to the sizes of its
 * names tuple and kinds bytes, within a bound. Then the frame's locals are
 * "unreadable", never guessed.
 *
 * Values: a short repr of what can be read without running anything (None,
 * bool, int, float, str), else `<TYPE at 0xADDR>`, TYPE the type's tp_name.
 * An object's type is told by its tp_name alone (a made-up type named "int"
 * gets read as an int: bounded reads, escaped output, only the picture is
 * wrong). A str shows its first STR_SHOW characters quoted and escaped the
 * way Python's repr does ("..." after the closing quote when cut; the quote
 * is chosen by the characters shown); an int up to 120 bits its digits;
 * a float its shortest repr, as Python prints it.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/py_locals.h"
#include "cpython/pystr.h"

#define MAX_LOCALS 4096		/* variables of one code object read at most */
#define STR_SHOW 64		/* characters of a str shown */
#define OB_TYPE 8		/* PyObject.ob_type */
#define TP_NAME 24		/* PyTypeObject.tp_name */
#define VAR_SIZE 16		/* PyVarObject.ob_size */
#define LONG_VALUE 16		/* ob_size (3.11), lv_tag (3.12+) */
#define LONG_DIGITS 24
#define FLOAT_VALUE 16		/* PyFloatObject.ob_fval */
#define CELL_REF 16		/* PyCellObject.ob_ref */
#define BYTES_SVAL 32		/* PyBytesObject.ob_sval */

#define CO_FAST_HIDDEN 0x10
#define CO_FAST_CELL 0x40
#define CO_FAST_FREE 0x80

struct locals_layout {
	short frame_localsplus, code_nlocalsplus, code_names, code_kinds, tuple_items;
	bool long_tag;		/* 3.12+: lv_tag (digits << 3 | sign), else ob_size */
	bool stackref;		/* 3.14: _PyStackRef slots */
};

static const struct locals_layout layouts[] = {
	[11] = { 72, 76, 96, 104, 24, false, false },
	[12] = { 72, 72, 96, 104, 24, true, false },
	[13] = { 72, 72, 96, 104, 24, true, false },
	[14] = { 80, 72, 96, 104, 32, true, true },
};

static const struct locals_layout *layout_of(unsigned minor)
{
	return minor >= 11 && minor <= 14 ? &layouts[minor] : NULL;
}

const char *py_locals__unsupported(unsigned minor)
{
	return layout_of(minor) ? NULL : "--locals reads CPython 3.11-3.14 frames only";
}

void py_locals__free(struct py_local *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* ---- reprs ---------------------------------------------------------------- */

/* A repr is written to a memstream F; done() closes it: the text, or NULL
 * when memory ran out. */
static char *done(FILE *f, char **text)
{
	if (fclose(f)) {
		free(*text);
		return NULL;
	}
	return *text;
}

/* a code point Python's repr escapes */
static bool escaped(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad ||
	       (c >= 0xd800 && c <= 0xdfff) || c == 0x2028 || c == 0x2029 || c > 0x10ffff;
}

static void repr_str(FILE *b, const uint32_t *cps, size_t n, bool cut)
{
	bool sq = false, dq = false;
	char q, u[4];

	for (size_t i = 0; i < n; i++) {
		sq |= cps[i] == '\'';
		dq |= cps[i] == '"';
	}
	q = sq && !dq ? '"' : '\'';
	fwrite(&q, 1, 1, b);
	for (size_t i = 0; i < n; i++) {
		uint32_t c = cps[i];

		if (c == '\\' || c == (uint32_t)q)
			fprintf(b, "\\%c", (char)c);
		else if (c == '\n')
			fputs("\\n", b);
		else if (c == '\r')
			fputs("\\r", b);
		else if (c == '\t')
			fputs("\\t", b);
		else if (escaped(c))
			fprintf(b, c < 0x100 ? "\\x%02x" : c < 0x10000 ? "\\u%04x" : "\\U%08x", c);
		else
			fwrite(u, 1, pystr__put_utf8(u, c), b);
	}
	fwrite(&q, 1, 1, b);
	if (cut)
		fputs("...", b);
}

/* Python's repr of X: the shortest digits that read back as X, in fixed
 * notation for exponents -4..15, else as d.ddde+XX */
static void repr_float(FILE *b, double x)
{
	char s[64];
	int p, e;

	if (isnan(x)) {
		fputs("nan", b);
		return;
	}
	if (isinf(x)) {
		fputs(x < 0 ? "-inf" : "inf", b);
		return;
	}
	for (p = 1; p < 17; p++) {
		snprintf(s, sizeof(s), "%.*e", p - 1, x);
		if (strtod(s, NULL) == x)
			break;
	}
	snprintf(s, sizeof(s), "%.*e", p - 1, x);
	e = atoi(strchr(s, 'e') + 1);
	if (e >= -4 && e < 16) {
		snprintf(s, sizeof(s), "%.*f", p - 1 - e > 0 ? p - 1 - e : 0, x);
		fputs(s, b);
		if (!strchr(s, '.'))
			fputs(".0", b);
		return;
	}
	fputs(s, b);
}

static void repr_other(FILE *b, const char *type, uint64_t obj)
{
	fprintf(b, "<%s at 0x%llx>", type, (unsigned long long)obj);
}

/* an int object: its digits up to 120 bits (4 digits of 30 bits) */
static void repr_int(const struct py_mem *m, const struct locals_layout *ly, FILE *b,
		     uint64_t obj, bool as_bool)
{
	uint64_t tag;
	uint32_t d[4];
	unsigned __int128 v = 0;
	char s[48];
	size_t nd, k = sizeof(s);
	bool neg;

	if (py_mem__read(m, obj + LONG_VALUE, &tag, sizeof(tag))) {
		repr_other(b, as_bool ? "bool" : "int", obj);
		return;
	}
	if (ly->long_tag) {
		nd = tag >> 3;
		neg = (tag & 3) == 2;
		if ((tag & 3) == 1)
			nd = 0;
	} else {
		int64_t size = (int64_t)tag;

		neg = size < 0;
		nd = neg ? -(uint64_t)size : (uint64_t)size;
	}
	if (nd > 4) {
		fprintf(b, "<int of %zu digits of 30 bits at 0x%llx>", nd, (unsigned long long)obj);
		return;
	}
	if (nd && py_mem__read(m, obj + LONG_DIGITS, d, nd * sizeof(d[0]))) {
		repr_other(b, "int", obj);
		return;
	}
	for (size_t i = nd; i-- > 0;) {
		if (d[i] >> 30) {	/* not a digit */
			repr_other(b, "int", obj);
			return;
		}
		v = v << 30 | d[i];
	}
	if (as_bool) {
		fputs(v ? "True" : "False", b);
		return;
	}
	s[--k] = 0;
	do {
		s[--k] = '0' + (int)(v % 10);
		v /= 10;
	} while (v);
	if (neg)
		s[--k] = '-';
	fwrite(s + k, 1, sizeof(s) - 1 - k, b);
}

/* the repr of OBJ into B; DEPTH: cells followed so far */
static void repr_obj(const struct py_mem *m, const struct locals_layout *ly, FILE *b,
		     uint64_t obj, int depth)
{
	char type[64] = "";
	uint64_t tp = 0, tp_name = 0, ref = 0;
	uint32_t cps[STR_SHOW];
	int64_t length = 0;
	size_t n = 0;
	double x;

	if (py_mem__ptr(m, obj + OB_TYPE, &tp) || py_mem__ptr(m, tp + TP_NAME, &tp_name) ||
	    py_mem__read(m, tp_name, type, sizeof(type) - 1)) {
		/* a name near the end of a mapping: read it shorter */
		for (size_t len = 32; tp_name && len >= 4 && !type[0]; len /= 2)
			if (py_mem__read(m, tp_name, type, len))
				memset(type, 0, sizeof(type));
		if (!type[0]) {
			fprintf(b, "<unreadable object at 0x%llx>", (unsigned long long)obj);
			return;
		}
	}
	type[strnlen(type, sizeof(type) - 1)] = 0;
	if (!strcmp(type, "NoneType")) {
		fputs("None", b);
	} else if (!strcmp(type, "bool") || !strcmp(type, "int")) {
		repr_int(m, ly, b, obj, type[0] == 'b');
	} else if (!strcmp(type, "float") &&
		   !py_mem__read(m, obj + FLOAT_VALUE, &x, sizeof(x))) {
		repr_float(b, x);
	} else if (!strcmp(type, "str") &&
		   !py_mem__str_chars(m, obj, cps, STR_SHOW, &n, &length)) {
		repr_str(b, cps, n, (uint64_t)length > n);
	} else if (!strcmp(type, "cell") && depth == 0 &&
		   !py_mem__ptr(m, obj + CELL_REF, &ref)) {
		if (ref)
			repr_obj(m, ly, b, ref, depth + 1);
		else
			fputs("<empty cell>", b);
	} else {
		repr_other(b, type, obj);
	}
}

char *py_locals__repr(const struct py_mem *m, uint64_t obj)
{
	const struct locals_layout *ly = layout_of(m->minor);
	char *text = NULL;
	size_t len;
	FILE *f;

	if (!ly)
		return strdup("?");
	if (!(f = open_memstream(&text, &len)))
		return NULL;
	repr_obj(m, ly, f, obj, 0);
	return done(f, &text);
}

/* ---- a frame's variables ---------------------------------------------------- */

/* the N items of the tuple or bytes object OBJ (ITEM bytes each, from
 * AT): 0, or -EINVAL when it does not hold exactly N */
static int read_seq(const struct py_mem *m, uint64_t obj, size_t at, void *out, size_t n,
		    size_t item)
{
	int64_t size = -1;
	int ret = py_mem__read(m, obj + VAR_SIZE, &size, sizeof(size));

	if (ret)
		return ret;
	if (size != (int64_t)n)
		return -EINVAL;
	return n ? py_mem__read(m, obj + at, out, n * item) : 0;
}

int py_locals__read(const struct py_mem *m, uint64_t frame, uint64_t code,
		    struct py_local **out, size_t *n_out)
{
	const struct locals_layout *ly = layout_of(m->minor);
	uint64_t names_obj = 0, kinds_obj = 0, *names = NULL, *slots = NULL;
	uint8_t *kinds = NULL;
	struct py_local *v = NULL;
	int32_t n = 0;
	size_t k = 0;
	int ret;

	*out = NULL;
	*n_out = 0;
	if (!ly)
		return -ENOTSUP;
	if ((ret = py_mem__read(m, code + ly->code_nlocalsplus, &n, sizeof(n))) ||
	    (ret = py_mem__ptr(m, code + ly->code_names, &names_obj)) ||
	    (ret = py_mem__ptr(m, code + ly->code_kinds, &kinds_obj)))
		return ret;
	if (n < 0 || n > MAX_LOCALS)
		return -EINVAL;
	names = calloc(n + 1, sizeof(*names));
	slots = calloc(n + 1, sizeof(*slots));
	kinds = calloc(n + 1, 1);
	v = calloc(n + 1, sizeof(*v));
	if (!names || !slots || !kinds || !v) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = read_seq(m, names_obj, ly->tuple_items, names, n, sizeof(*names))) ||
	    (ret = read_seq(m, kinds_obj, BYTES_SVAL, kinds, n, 1)) ||
	    (n && (ret = py_mem__read(m, frame + ly->frame_localsplus, slots, n * sizeof(*slots)))))
		goto out;
	for (int32_t i = 0; i < n; i++) {
		uint64_t s = slots[i];
		bool tagged = false;
		char *text = NULL;
		size_t len;
		FILE *f;

		if (kinds[i] & CO_FAST_HIDDEN)
			continue;
		if (ly->stackref) {
			if (s == 1)
				continue;			/* PyStackRef_NULL */
			tagged = (s & 3) == 3;			/* a tagged int */
			if (!tagged)
				s &= ~(uint64_t)1;
		}
		if (!s)
			continue;				/* unbound */
		if (!(f = open_memstream(&text, &len))) {
			ret = -ENOMEM;
			goto out;
		}
		if (tagged)
			fprintf(f, "%lld", (long long)((int64_t)s >> 2));
		else
			repr_obj(m, ly, f, s, (kinds[i] & (CO_FAST_CELL | CO_FAST_FREE)) ? 0 : 1);
		v[k].value = done(f, &text);
		v[k].name = py_mem__str(m, names[i]);
		if (!v[k].value || !v[k].name) {
			free(v[k].value);
			free(v[k].name);
			ret = -ENOMEM;
			goto out;
		}
		k++;
	}
out:
	free(names);
	free(slots);
	free(kinds);
	if (ret) {
		py_locals__free(v, k);
		return ret;
	}
	*out = v;
	*n_out = k;
	return 0;
}
