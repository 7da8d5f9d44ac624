// SPDX-License-Identifier: MIT
/*
 * --c-calls for a target on CPython 3.8 to 3.10 with the eval strategy:
 * the sites in its eval loop (user/cpython/ccall_sites_310.c), their BPF
 * cookies, and the BPF side's configuration (bpf/ccalls_eval.bpf.h): the
 * addresses of the types that make a callable a C function to
 * sys.setprofile, and the word that holds the running thread's state
 * (_PyRuntime.gilstate.tstate_current, which the eval strategy itself does
 * not read: its programs get the frame as an argument; the C-call sites,
 * inside the eval loop, read it from there). The opcode numbers of these
 * versions are fixed, so the interpreter is not asked for them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "capture/ccalls.h"
#include "capture/ccalls_eval.h"
#include "capture/target.h"
#include "cpython/ccall_sites_310.h"
#include "os/elf_file.h"

#define ERR(fmt, ...) (snprintf(err, errlen, fmt, ##__VA_ARGS__), -ENOTSUP)

int ccalls__plan_eval(struct target *t, char *err, size_t errlen)
{
	static const char *const types[] = { "PyCFunction_Type", "PyCMethod_Type",
					     "PyMethodDescr_Type", "PyModule_Type" };
	unsigned minor = (t->bin.version_hex >> 16) & 0xff;
	struct ccalls *cc;
	struct elf_file *ef;
	tr_u64 *addr[4];
	int ret;

	if (t->bin.rt.runtime_tstate_current < 0 || !t->runtime_addr)
		return ERR("--c-calls: PID %d: where CPython 3.%u keeps the running thread's state "
			   "is not known", t->pid, minor);
	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return -ENOMEM;
	ef = elf_file__open(t->open_path);
	if (!ef) {
		free(cc);
		return ERR("--c-calls: cannot open %s", t->file);
	}
	uint64_t rets[CC310_MAX_RETS];

	ret = ccall_sites_310__plan(ef, t->file, minor >= 10, &cc->plan, cc->start_cookie, rets,
				    &cc->n_rets, err, errlen);
	addr[0] = &cc->cfg.cfunction_type;
	addr[1] = &cc->cfg.cmethod_type;
	addr[2] = &cc->cfg.method_descr_type;
	addr[3] = &cc->cfg.module_type;
	for (int i = 0; !ret && i < 4; i++) {
		uint64_t v, sz;

		if (!elf_file__find_symbol(ef, types[i], &v, &sz))
			*addr[i] = v + t->load_bias;
		else if (i != 1 || minor >= 9)	/* PyCMethod_Type: 3.9+ */
			ret = ERR("--c-calls: %s has no symbol %s (supported: %s)", t->file,
				  types[i], CCALLS_SUPPORTED);
	}
	if (!ret)
		ret = ccalls__site_offsets(ef, cc, err, errlen);
	for (int i = 0; !ret && i < cc->n_rets; i++)
		if (elf_file__vaddr_to_offset(ef, rets[i], &cc->ret_off[i]))
			ret = ERR("--c-calls: function 0x%llx is not in the file",
				  (unsigned long long)rets[i]);
	elf_file__close(ef);
	if (ret) {
		free(cc);
		return ret;
	}
	cc->eval = true;
	cc->cfg.sp_reg = cc->plan.sp_reg;
	t->cfg.tstate_ptr_addr = t->runtime_addr + t->bin.rt.runtime_tstate_current;
	t->ccalls = cc;
	return 0;
}

void ccalls__say_eval(const struct target *t)
{
	const struct ccalls *cc = t->ccalls;

	fprintf(stderr, "tracer: --c-calls: %d call-instruction sites, %d C-call end sites (%d "
		"single-stepped)%s: every call instruction run (of a Python function too) costs "
		"two more probe hits, one where it starts and one where its call returns\n",
		cc->plan.n_starts, cc->plan.n_ends, cc->plan.n_slow,
		cc->n_rets ? ", a uretprobe on trace_call_function (hit only while the target "
			     "traces itself)" : "");
}
