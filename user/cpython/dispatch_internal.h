/* SPDX-License-Identifier: MIT */
/*
 * Internals of the dispatch-site planner (dispatch_sites.c), shared with
 * the finder of gen.throw()'s branch (throw_site.c) and the planner of the
 * C-call sites (ccall_sites.c): the eval function's instructions, families
 * of handlers, reachability, the emulated-site walk (dispatch_code.c).
 */
#ifndef TRACER_CPYTHON_DISPATCH_INTERNAL_H
#define TRACER_CPYTHON_DISPATCH_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "cpython/py_opcodes.h"
#include "cpython/x86_code.h"
#include "os/elf_file.h"

enum ins_kind { K_OTHER, K_JMP, K_JCC, K_CALL, K_JMP_IND, K_RET, K_STOP };

struct ins {
	uint64_t addr;
	uint64_t target;	/* direct jump/call target */
	uint8_t size;
	uint8_t kind;
	bool emulated;
};

/* the eval function's instructions (x86_code.c); v and n are x.v and x.n */
struct code {
	struct ins *v;
	size_t n;
	struct x86_code x;
};

/* instructions scanned for a handler's emulated site (its straight line) */
#define PREFIX_MAX 64
#define FAMILY_MAX 40
struct family {
	uint8_t kind;
	int n;
	uint64_t entry[FAMILY_MAX];
	char name[FAMILY_MAX][40];
};


/* x86_code_describe of struct ins */
void classify(csh cs, const cs_insn *in, void *rec);
/* append the instructions of [START, START + SIZE) to C */
int disassemble(struct code *c, uint64_t start, uint64_t size);
/* index of the instruction starting at ADDR, or -1 */
long find_ins(const struct code *c, uint64_t addr);
/* disassemble the LEN bytes at ADDR (at most 1024) into *IN (caller frees
 * with cs_free); 0 if they cannot be read */
size_t disasm_at(const struct code *c, uint64_t addr, size_t len, cs_insn **in);
/* successors of instruction I: fall-through and/or direct target (-1: none) */
void successors(const struct code *c, size_t i, long *fall, long *jump);
void family_add(struct family *f, uint64_t addr, const char *name);
bool in_family(const struct family *f, uint64_t addr);
/* MARK every instruction code outside family F reaches from STARTS */
int reach_outside(const struct code *c, const struct family *f, const uint64_t *starts,
		  size_t n_starts, uint8_t *mark);
/* the first emulated instruction of the straight line from E that only the
 * family reaches, or E (slow), or -1 */
long entry_site(const struct code *c, const uint8_t *outside, long e, bool *emulated);
/* the computed-goto table's 256 handlers */
int find_table(struct elf_file *ef, const char *path, uint64_t fv, uint64_t fsz,
	       uint64_t handlers[256], char *err, size_t errlen);
/* the first instruction of the branch only gen.throw() takes, from the
 * eval function's entry FV (throw_site.c); STARTS: the targets of indirect
 * jumps; -ENOENT when not found */
int throw_site__find(const struct code *c, uint64_t fv, const uint64_t *starts,
		     size_t n_starts, uint64_t *target);
/* disassemble the .cold fragments STARTS lie in */
int disassemble_fragments(struct code *c, uint64_t fv, uint64_t fsz, const uint64_t *starts,
			  size_t n_starts);
/* the base instruction of each opcode */
int deopt_table(struct elf_file *ef, const char *path, const struct py_opcodes *ops,
		unsigned char deopt[256], char *err, size_t errlen);
#endif
