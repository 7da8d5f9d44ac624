// SPDX-License-Identifier: MIT
/*
 * Python thread names, read from outside (see py_thread_names.h).
 *
 * The path: PyInterpreterState.modules (imports.modules from 3.12), a dict
 * -> "threading", a module -> its md_dict -> "_active", a dict of int
 * idents to Thread objects -> each one's "_name", a str. Dicts are read
 * without hashing: the entries of the keys object are scanned for the str
 * key wanted (a module's globals hold a few hundred; keys are compared
 * only when ASCII and of the same length).
 *
 * Where an instance keeps its attributes changed with every version:
 *   3.8-3.10  a dict at type->tp_dictoffset (possibly a split-table dict:
 *             keys shared by the type, values in the dict's ma_values)
 *   3.11      Py_TPFLAGS_MANAGED_DICT: a dict pointer at obj - 24, or,
 *             while none was made, a values array at obj - 32 indexed like
 *             the type's cached keys (PyHeapTypeObject.ht_cached_keys)
 *   3.12      one tagged word at obj - 24: a dict, or values - 1 (odd)
 *   3.13/14   Py_TPFLAGS_INLINE_VALUES: the values right after the object
 *             (tp_basicsize), an 8-byte header (its `valid` byte at 3)
 *             before the array; else the dict pointer at obj - 24
 * Keys objects: up to 3.10 {refcnt, size, lookup, usable, nentries,
 * indices}, entries {hash, key, value} after the indices (1, 2, 4 or 8
 * bytes each by size); from 3.11 {refcnt, log2_size, log2_index_bytes,
 * kind, .., usable, nentries, indices}, entries {key, value} of unicode and
 * split keys, {hash, key, value} of general ones. Offsets below not in
 * the layout table: derived with gdb from the DWARF of the pyenv builds
 * (3.8.18 ... 3.13.0, 3.14.7: its dict keys, values and object header as
 * 3.13's, the interpreter's modules 32 bytes further); PyTypeObject's, PyDictObject's and PyModuleObject's
 * fields used are at the same place in every version.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "capture/py_thread_names.h"

#define OB_TYPE 8
#define TYPE_BASICSIZE 32
#define TYPE_FLAGS 168
#define TYPE_DICTOFFSET 288
#define DICT_KEYS 32
#define DICT_VALUES 40
#define MODULE_DICT 16
#define LONG_SIZE 16		/* ob_size (<= 3.11) or lv_tag (3.12+) */
#define LONG_DIGITS 24
#define TPFLAGS_INLINE_VALUES (1ul << 2)
#define TPFLAGS_MANAGED_DICT (1ul << 4)
#define MAX_ENTRIES 65536

static const struct {
	short interp_modules;	/* PyInterpreterState.modules / .imports.modules */
	short ht_cached_keys;	/* PyHeapTypeObject.ht_cached_keys */
} rows[] = {
	[8] = { 56, 872 }, [9] = { 856, 864 }, [10] = { 856, 872 }, [11] = { 888, 872 },
	[12] = { 944, 880 }, [13] = { 7656, 880 }, [14] = { 7688, 880 },
};

/* called with each entry's key and value; nonzero stops the scan */
typedef int (*entry_fn)(const struct py_mem *m, uint64_t key, uint64_t value, void *ctx);

/* the entries of keys object KEYS, values from VALUES (an array, split
 * tables) or the entries themselves (VALUES 0): FN's last result, or 0;
 * -EFAULT when they cannot be read, -ENOMEM */
static int keys_each(const struct py_mem *m, uint64_t keys, uint64_t values, entry_fn fn,
		     void *ctx)
{
	uint64_t entries, n = 0, size = 0, esz, key_off, val_off;
	uint8_t head[3] = {};
	uint8_t *buf;
	int ret = 0;

	if (m->minor <= 10) {
		if (py_mem__ptr(m, keys + 8, &size) || py_mem__ptr(m, keys + 32, &n) ||
		    size > (1u << 30))
			return -EFAULT;
		entries = keys + 40 + size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : 4);
		esz = 24, key_off = 8, val_off = 16;
	} else {
		if (py_mem__read(m, keys + 8, head, 3) || py_mem__ptr(m, keys + 24, &n) ||
		    head[1] > 40)
			return -EFAULT;
		entries = keys + 32 + (1ull << head[1]);
		esz = head[2] == 0 ? 24 : 16;
		key_off = head[2] == 0 ? 8 : 0;
		val_off = key_off + 8;
	}
	if (n > MAX_ENTRIES)
		return -EFAULT;
	if (!(buf = malloc(n * esz + 1)))
		return -ENOMEM;
	ret = py_mem__read(m, entries, buf, n * esz) ? -EFAULT : 0;
	if (!ret) {
		for (uint64_t i = 0; i < n && !ret; i++) {
			uint64_t key, value;

			memcpy(&key, buf + i * esz + key_off, 8);
			memcpy(&value, buf + i * esz + val_off, 8);
			if (values && py_mem__ptr(m, values + 8 * i, &value))
				continue;
			if (key && value)
				ret = fn(m, key, value, ctx);
		}
	}
	free(buf);
	return ret;
}

struct find {
	const char *name;
	uint64_t value;
};

static int find_fn(const struct py_mem *m, uint64_t key, uint64_t value, void *ctx)
{
	struct find *f = ctx;

	if (!py_mem__str_is(m, key, f->name))
		return 0;
	f->value = value;
	return 1;
}

/* the value of str key NAME in keys KEYS (values VALUES, see keys_each): 0 if none */
static uint64_t keys_find(const struct py_mem *m, uint64_t keys, uint64_t values,
			  const char *name)
{
	struct find f = { .name = name };

	keys_each(m, keys, values, find_fn, &f);
	return f.value;
}

/* the values array of dict DICT's split table (0: a combined table) */
static uint64_t dict_values(const struct py_mem *m, uint64_t dict)
{
	uint64_t values = 0;

	if (py_mem__ptr(m, dict + DICT_VALUES, &values) || !values)
		return 0;
	return m->minor >= 13 ? values + 8 : values;
}

static uint64_t dict_find(const struct py_mem *m, uint64_t dict, const char *name)
{
	uint64_t keys = 0;

	if (!dict || py_mem__ptr(m, dict + DICT_KEYS, &keys) || !keys)
		return 0;
	return keys_find(m, keys, dict_values(m, dict), name);
}

/* attribute NAME of instance OBJ, from its own attributes: 0 if none */
static uint64_t instance_attr(const struct py_mem *m, uint64_t obj, const char *name)
{
	uint64_t type = 0, flags = 0, word = 0, keys = 0, basic = 0;
	int64_t dictoffset = 0;
	uint8_t valid = 0;

	if (py_mem__ptr(m, obj + OB_TYPE, &type) || py_mem__ptr(m, type + TYPE_FLAGS, &flags))
		return 0;
	if (m->minor <= 10) {
		if (py_mem__read(m, type + TYPE_DICTOFFSET, &dictoffset, 8) || dictoffset <= 0 ||
		    py_mem__ptr(m, obj + dictoffset, &word))
			return 0;
		return dict_find(m, word, name);
	}
	py_mem__ptr(m, type + rows[m->minor].ht_cached_keys, &keys);
	if (m->minor >= 13 && (flags & TPFLAGS_INLINE_VALUES) &&
	    !py_mem__ptr(m, type + TYPE_BASICSIZE, &basic) && basic < 4096 &&
	    !py_mem__read(m, obj + basic + 3, &valid, 1) && valid && keys)
		return keys_find(m, keys, obj + basic + 8, name);
	if (!(flags & TPFLAGS_MANAGED_DICT) || py_mem__ptr(m, obj - 24, &word))
		return 0;
	if (m->minor == 12 && (word & 1))
		return keys ? keys_find(m, keys, word + 1, name) : 0;
	if (m->minor == 11 && !word)
		return keys && !py_mem__ptr(m, obj - 32, &word) && word ?
			keys_find(m, keys, word, name) : 0;
	return dict_find(m, word, name);
}

/* the non-negative int OBJ (up to 2^63): 0, or -EINVAL */
static int read_long(const struct py_mem *m, uint64_t obj, uint64_t *out)
{
	uint64_t head = 0, n;
	uint32_t digit[3];

	if (py_mem__ptr(m, obj + LONG_SIZE, &head))
		return -EINVAL;
	/* 3.12+: lv_tag = ndigits << 3 | sign (0 positive, 1 zero, 2 negative) */
	n = m->minor >= 12 ? head >> 3 : head;
	if ((m->minor >= 12 && (head & 3) == 2) || n > 3 ||
	    py_mem__read(m, obj + LONG_DIGITS, digit, n * 4))
		return -EINVAL;
	*out = 0;
	for (uint64_t i = n; i-- > 0;) {
		if (*out >> 33)
			return -EINVAL;
		*out = (*out << 30) | (digit[i] & 0x3fffffff);
	}
	return 0;
}

struct name_ctx {
	struct py_stacks *s;
	int err;
};

static int active_fn(const struct py_mem *m, uint64_t key, uint64_t value, void *ctx)
{
	struct name_ctx *c = ctx;
	uint64_t ident, name;

	if (read_long(m, key, &ident))
		return 0;
	for (size_t i = 0; i < c->s->n; i++) {
		struct py_thread *th = &c->s->v[i];

		if (th->ident != ident || th->py_name ||
		    !(name = instance_attr(m, value, "_name")))
			continue;
		if (!(th->py_name = py_mem__str(m, name))) {
			c->err = -ENOMEM;
			return 1;
		}
	}
	return 0;
}

int py_thread_names__fill(const struct py_mem *m, uint64_t interp, struct py_stacks *s)
{
	struct name_ctx c = { .s = s };
	uint64_t modules = 0, module, globals = 0, active;

	/* a free-threaded build's dicts, objects and interpreter are laid
	 * out otherwise, and the offsets here are a GIL build's: no names
	 * (the threads keep their kernel names) */
	if (m->minor < 8 || m->minor > 14 || m->L->free_threaded ||
	    py_mem__ptr(m, interp + rows[m->minor].interp_modules, &modules) || !modules)
		return 0;
	if (!(module = dict_find(m, modules, "threading")) ||
	    py_mem__ptr(m, module + MODULE_DICT, &globals) ||
	    !(active = dict_find(m, globals, "_active")))
		return 0;
	if (py_mem__ptr(m, active + DICT_KEYS, &modules) || !modules)
		return 0;
	keys_each(m, modules, dict_values(m, active), active_fn, &c);	/* (best effort) */
	return c.err;
}

uint64_t py_thread_names__module_attr(const struct py_mem *m, uint64_t interp,
				      const char *module, const char *name, bool *absent)
{
	uint64_t modules = 0, keys = 0, globals = 0;
	struct find f = { .name = module };

	*absent = false;
	if (m->minor < 8 || m->minor > 14 || m->L->free_threaded ||
	    py_mem__ptr(m, interp + rows[m->minor].interp_modules, &modules) || !modules ||
	    py_mem__ptr(m, modules + DICT_KEYS, &keys) || !keys ||
	    keys_each(m, keys, dict_values(m, modules), find_fn, &f) < 0)
		return 0;
	if (!f.value) {
		*absent = true;		/* sys.modules read whole: no such module */
		return 0;
	}
	if (py_mem__ptr(m, f.value + MODULE_DICT, &globals))
		return 0;
	return dict_find(m, globals, name);
}
