/* SPDX-License-Identifier: MIT */
/* Read-only queries on an ELF file (libelf): symbols, notes, bytes. */
#ifndef TRACER_ELF_FILE_H
#define TRACER_ELF_FILE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct elf_file;

/* Open PATH (a regular ELF file). NULL and errno on failure
 * (ENOEXEC when it is not a 64-bit x86-64 ELF). */
struct elf_file *elf_file__open(const char *path);
void elf_file__close(struct elf_file *ef);

/* Find a symbol by exact name, in .symtab then .dynsym. Fills its st_value
 * (a virtual address in the file) and st_size. 0, or -ENOENT. */
int elf_file__find_symbol(struct elf_file *ef, const char *name,
			  uint64_t *value, uint64_t *size);
/* Same, for local symbols GCC renames with a numeric suffix: NAME or
 * NAME.<digits> (e.g. "opcode_targets" finds "opcode_targets.3"). */
int elf_file__find_symbol_prefix(struct elf_file *ef, const char *name,
				 uint64_t *value, uint64_t *size);
/* true when the file has a .symtab (is not stripped) */
bool elf_file__has_symtab(struct elf_file *ef);

/* Read LEN bytes at virtual address VADDR from the file's PT_LOAD contents
 * (zero-filled for .bss parts). Returns bytes read, or -errno. */
ssize_t elf_file__read_vaddr(struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);
/* A new copy of the SIZE bytes at VADDR (code to disassemble: at most
 * 16 MiB), or NULL with *ERR -EINVAL, -ENOMEM or -EFAULT. */
unsigned char *elf_file__copy(struct elf_file *ef, uint64_t vaddr, uint64_t size, int *err);
/* Read N pointer-sized words at VADDR as the loader would see them before
 * adding the load bias: R_X86_64_RELATIVE relocations (position-
 * independent code) supply their addends. 0 or -errno. */
int elf_file__read_pointers(struct elf_file *ef, uint64_t vaddr, uint64_t *out, size_t n);
/* Is VADDR inside an executable PT_LOAD segment's file contents? */
bool elf_file__vaddr_is_exec(struct elf_file *ef, uint64_t vaddr);
/* File offset of a virtual address inside a PT_LOAD segment: 0 or -ENOENT. */
int elf_file__vaddr_to_offset(struct elf_file *ef, uint64_t vaddr, uint64_t *off);

/* The contents of the section NAME (SHT_PROGBITS, inside the file): its
 * bytes (valid until close), size and virtual address. 0 or -ENOENT. */
int elf_file__section(struct elf_file *ef, const char *name, const uint8_t **data,
		      size_t *size, uint64_t *vaddr);
/* The dynamic symbol a GOT word at SLOT is bound to (JUMP_SLOT/GLOB_DAT
 * relocation): 0 and its NAME (valid until close), or -ENOENT. */
int elf_file__slot_symbol(struct elf_file *ef, uint64_t slot, const char **name);
/* Does the file need (DT_NEEDED) a library whose name starts with PREFIX? */
bool elf_file__needs_prefix(struct elf_file *ef, const char *prefix);
/* The GNU build-id of the ELF file open as FD, into OUT (at most MAX
 * bytes): its length, or -ENOENT when it has none (or is no ELF file). */
int elf_file__build_id_of_fd(int fd, unsigned char *out, size_t max);
/* DT_SONAME, or NULL. Valid until close. */
const char *elf_file__soname(struct elf_file *ef);
/* Does the file have a SystemTap SDT note PROVIDER:NAME (.note.stapsdt)?
 * Fills the semaphore address (0 if none) when SEMA is not NULL. */
bool elf_file__has_usdt(struct elf_file *ef, const char *provider,
			const char *name, uint64_t *sema);

/* The same SDT note parser on raw note section bytes (for unit tests and
 * for elf_file__has_usdt): calls CB for each probe; stops when CB returns
 * non-zero and returns that value. */
struct usdt_note {
	uint64_t pc, base, sema;
	const char *provider, *name, *args;
};
int usdt_notes__parse(const void *data, size_t len,
		      int (*cb)(const struct usdt_note *n, void *ctx), void *ctx);
/* usdt_notes__parse on the file's .note.stapsdt, each note's PC and SEMA
 * corrected for prelinking (their virtual addresses in this file): CB's
 * first non-zero return, 0, or -ENOENT (no notes) / -EINVAL. */
int elf_file__each_usdt(struct elf_file *ef, int (*cb)(const struct usdt_note *n, void *ctx),
			void *ctx);
#endif
