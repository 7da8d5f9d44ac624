// SPDX-License-Identifier: MIT
/* py_locals__repr on objects laid out in this process's own memory (read
 * through process_vm_readv of getpid(), as from a target): the expected
 * strings are what Python 3.11's repr() prints for the same values (floats:
 * its shortest round-trip form and its switch to exponents at 1e16 and
 * 1e-5; str: its choice of quote and its escapes), and the hostile cases
 * (a digit out of range, a huge int, an unreadable type) stay bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture/py_locals.h"
#include "unit.h"

struct fake_type {
	uint64_t head[3];
	const char *tp_name;	/* offset 24 */
};

struct fake_obj {
	uint64_t refcnt;
	const struct fake_type *type;	/* offset 8 */
	uint64_t w[8];			/* from offset 16 */
};

static char *repr_of(unsigned minor, const struct fake_obj *o)
{
	struct py_mem m = { .pid = getpid(), .minor = minor };

	return py_locals__repr(&m, (uint64_t)(uintptr_t)o);
}

static void check_float(double x, const char *want)
{
	struct fake_type t = { .tp_name = "float" };
	struct fake_obj o = { .type = &t };
	char *s;

	memcpy(&o.w[0], &x, sizeof(x));
	s = repr_of(12, &o);
	CHECK_STR(s, want);
	free(s);
}

TEST(py_locals_float_reprs_as_python)
{
	check_float(2.5, "2.5");
	check_float(0.1, "0.1");
	check_float(100.0, "100.0");
	check_float(-0.0, "-0.0");
	check_float(1e16, "1e+16");
	check_float(123456789012345.0, "123456789012345.0");
	check_float(12345678901234567.0, "1.2345678901234568e+16");
	check_float(1e-05, "1e-05");
	check_float(0.0001, "0.0001");
	check_float(1.5e-07, "1.5e-07");
	check_float(1.0 / 3, "0.3333333333333333");
	check_float(1e300 * 1e300, "inf");
}

/* an int of ND digits D (sign NEG) as 3.11 (ob_size) or 3.12 (lv_tag) lays it out */
static char *int_repr(unsigned minor, const uint32_t *d, int64_t nd, bool neg, const char *type)
{
	struct fake_type t = { .tp_name = type };
	struct fake_obj o = { .type = &t };

	if (minor == 11)
		o.w[0] = (uint64_t)(neg ? -nd : nd);
	else
		o.w[0] = (uint64_t)nd << 3 | (nd == 0 ? 1 : neg ? 2 : 0);
	if (d)
		memcpy(&o.w[1], d, nd * sizeof(*d));
	return repr_of(minor, &o);
}

TEST(py_locals_int_reprs)
{
	/* -(2**70) + 5 = -(1180591620717411303419): 30-bit digits, low first */
	static const uint32_t big[] = { 1073741819, 1073741823, 1023 };
	static const uint32_t max120[] = { 0x3fffffff, 0x3fffffff, 0x3fffffff, 0x3fffffff };
	static const uint32_t bad[] = { 0x40000000 };
	static const uint32_t one[] = { 1 };

	for (unsigned minor = 11; minor <= 12; minor++) {
		char *s;

		CHECK_STR(s = int_repr(minor, big, 3, true, "int"), "-1180591620717411303419");
		free(s);
		CHECK_STR(s = int_repr(minor, NULL, 0, false, "int"), "0");
		free(s);
		/* 2**120 - 1 */
		CHECK_STR(s = int_repr(minor, max120, 4, false, "int"),
			  "1329227995784915872903807060280344575");
		free(s);
		CHECK_STR(s = int_repr(minor, one, 1, false, "bool"), "True");
		free(s);
		CHECK_STR(s = int_repr(minor, NULL, 0, false, "bool"), "False");
		free(s);
		/* not a digit: not read as one */
		CHECK((s = int_repr(minor, bad, 1, false, "int")) && !strncmp(s, "<int at 0x", 10));
		free(s);
		/* more than 4 digits: sized, not printed (no read past) */
		CHECK((s = int_repr(minor, NULL, 1000000, false, "int")) &&
		      !strncmp(s, "<int of 1000000 digits of 30 bits at 0x", 39));
		free(s);
	}
}

TEST(py_locals_other_and_unreadable)
{
	struct fake_type t = { .tp_name = "_thread.lock" }, none = { .tp_name = "NoneType" };
	struct fake_obj o = { .type = &t }, n = { .type = &none };
	struct fake_obj bad = { .type = (const struct fake_type *)(uintptr_t)8 };
	char want[64], *s;

	snprintf(want, sizeof(want), "<_thread.lock at %p>", (void *)&o);
	CHECK_STR(s = repr_of(13, &o), want);
	free(s);
	CHECK_STR(s = repr_of(14, &n), "None");
	free(s);
	snprintf(want, sizeof(want), "<unreadable object at %p>", (void *)&bad);
	CHECK_STR(s = repr_of(12, &bad), want);
	free(s);
}
