// SPDX-License-Identifier: MIT
/* usdt_arg: SDT argument strings, as Debian's python3.11 spells them
 * (readelf -n), and the forms refused */
#include <errno.h>
#include "os/usdt_arg.h"
#include "unit.h"

TEST(usdt_arg_registers_of_every_width)
{
	struct usdt_arg a[USDT_ARGS_MAX];

	/* python:function__entry */
	CHECK_EQ(usdt_arg__parse_all("8@%rbp 8@%r12 -4@%eax", a, USDT_ARGS_MAX), 3);
	CHECK_EQ(a[0].kind, USDT_ARG_REG);
	CHECK_EQ(a[0].size, 8);
	CHECK_EQ(a[0].reg_off, 32);	/* pt_regs.bp */
	CHECK_EQ(a[1].reg_off, 24);	/* r12 */
	CHECK_EQ(a[2].size, -4);
	CHECK_EQ(a[2].reg_off, 80);	/* ax */
	/* python:import__find__load__done, python:gc__done */
	CHECK_EQ(usdt_arg__parse_all("8@%rax -4@%edx", a, USDT_ARGS_MAX), 2);
	CHECK_EQ(a[1].reg_off, 96);
	CHECK_EQ(usdt_arg__parse_all("-8@%r12", a, USDT_ARGS_MAX), 1);
	CHECK_EQ(a[0].size, -8);
	CHECK_EQ(usdt_arg__parse_all("1@%r15b 2@%si", a, USDT_ARGS_MAX), 2);
	CHECK_EQ(a[0].reg_off, 0);
	CHECK_EQ(a[1].reg_off, 104);
}

TEST(usdt_arg_memory_and_constants)
{
	struct usdt_arg a[USDT_ARGS_MAX];

	/* python:gc__start */
	CHECK_EQ(usdt_arg__parse_all("-4@112(%rsp)", a, USDT_ARGS_MAX), 1);
	CHECK_EQ(a[0].kind, USDT_ARG_REG_DEREF);
	CHECK_EQ(a[0].val, 112);
	CHECK_EQ(a[0].reg_off, 152);
	CHECK_EQ(usdt_arg__parse_all("8@-16(%rbp) 4@(%rdi)", a, USDT_ARGS_MAX), 2);
	CHECK_EQ(a[0].val, -16);
	CHECK_EQ(a[1].kind, USDT_ARG_REG_DEREF);
	CHECK_EQ(a[1].val, 0);
	CHECK_EQ(a[1].reg_off, 112);
	CHECK_EQ(usdt_arg__parse_all("-4@$-9  8@$5", a, USDT_ARGS_MAX), 2);
	CHECK_EQ(a[0].kind, USDT_ARG_CONST);
	CHECK_EQ(a[0].val, -9);
	CHECK_EQ(a[1].val, 5);
	CHECK_EQ(usdt_arg__parse_all("", a, USDT_ARGS_MAX), 0);
}

TEST(usdt_arg_unknown_forms_refused)
{
	struct usdt_arg a[USDT_ARGS_MAX];

	CHECK_EQ(usdt_arg__parse_all("3@%rax", a, USDT_ARGS_MAX), -EINVAL);
	CHECK_EQ(usdt_arg__parse_all("8@%xmm0", a, USDT_ARGS_MAX), -EINVAL);
	CHECK_EQ(usdt_arg__parse_all("8@%rax,", a, USDT_ARGS_MAX), -EINVAL);
	/* RIP-relative with a symbol: not a form handled */
	CHECK_EQ(usdt_arg__parse_all("8@foo(%rip)", a, USDT_ARGS_MAX), -EINVAL);
	CHECK_EQ(usdt_arg__parse_all("8@8(%rax,%rbx,2)", a, USDT_ARGS_MAX), -EINVAL);
	CHECK_EQ(usdt_arg__parse_all("%rax", a, USDT_ARGS_MAX), -EINVAL);
	CHECK_EQ(usdt_arg__parse_all("8@%rax 8@%rax", a, 1), -EINVAL);
	CHECK_EQ(usdt_arg__parse_all(NULL, a, 1), -EINVAL);
}
