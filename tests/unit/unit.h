/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit test harness: TEST(name) registers a test; the runner
 * (tests/unit/runner.c) forks one child per test, so a crash fails that
 * test only, and prints "N passed, N failed".
 */
#ifndef UNIT_H
#define UNIT_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void unit_register(const char *name, const char *file, void (*fn)(void));
void unit_fail(const char *file, int line, const char *expr);

#define TEST(name)                                                        \
	static void name(void);                                           \
	__attribute__((constructor)) static void unit_reg_##name(void)    \
	{ unit_register(#name, __FILE__, name); }                        \
	static void name(void)

#define CHECK(cond)                                                       \
	do { if (!(cond)) unit_fail(__FILE__, __LINE__, #cond); } while (0)
#define CHECK_EQ(a, b)                                                    \
	do { long long _a = (long long)(a), _b = (long long)(b);          \
	     if (_a != _b) { fprintf(stderr, "  %lld != %lld\n", _a, _b);  \
		unit_fail(__FILE__, __LINE__, #a " == " #b); } } while (0)
#define CHECK_STR(a, b)                                                   \
	do { const char *_a = (a), *_b = (b);                             \
	     if (!_a || !_b || strcmp(_a, _b)) {                          \
		fprintf(stderr, "  \"%s\" != \"%s\"\n", _a ? _a : "(null)",  \
			_b ? _b : "(null)");                               \
		unit_fail(__FILE__, __LINE__, #a " == " #b); } } while (0)
#endif
