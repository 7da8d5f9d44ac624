/* SPDX-License-Identifier: MIT */
/*
 * Where GC collections and imports are probed in a build without USDT
 * probes: the collector's entry (with where it finds the generation) and
 * PyImport_ImportModuleLevelObject. See bpf/tracer.bpf.c.
 */
#ifndef TRACER_RUNTIME_SITES_H
#define TRACER_RUNTIME_SITES_H
#include <stddef.h>
#include <stdint.h>
#include "os/elf_file.h"

#define RT_MAX_SITES 8

struct rt_site {
	uint8_t kind;		/* enum tr_runtime_kind */
	uint8_t gen;		/* TR_RT_GEN_*: where the generation is (GC) */
	uint64_t offset;	/* file offset of the function */
	char what[48];		/* its symbol */
};

struct rt_plan {
	int n;
	struct rt_site sites[RT_MAX_SITES];
};

/* Fill PLAN from the symbols of EF and the DWARF of the same file at PATH.
 * A kind found nowhere is named in MISSING (empty when both are found). */
void runtime_sites__find(struct elf_file *ef, const char *path, uint32_t version_hex,
			 struct rt_plan *plan, char *missing, size_t len);
/* The collector (gc_collect_main) of a build of 3.10-3.14 found from the
 * code, without symbols: 0 and *VADDR, or -ENOENT. */
int runtime_sites__collector_from_code(struct elf_file *ef, uint64_t *vaddr);
/* 3.13+: the function the collector at COLLECTOR tells the generation it
 * picked (invoke_gc_callback), found from the code, and where its entry
 * has it (TR_RT_GEN_ARG): 0, or -ENOENT / -EINVAL. */
int runtime_sites__generation_from_code(struct elf_file *ef, uint64_t collector,
					 uint64_t *callee, uint8_t *gen);

/* the BPF cookie of a site's attachment */
uint64_t runtime_sites__cookie(const struct rt_plan *plan, const struct rt_site *s);
#endif
