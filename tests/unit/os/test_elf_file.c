// SPDX-License-Identifier: MIT
/*
 * elf_file on real interpreters of this machine. Every expected number
 * below was read by hand from readelf/nm/objdump/xxd output, e.g.
 *   readelf -n /usr/bin/python3.11          (SDT notes)
 *   nm -S libpython3.10.so.1.0              (symbol values and sizes)
 *   readelf -lW / xxd -s OFF                (segments and file bytes)
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include "unit.h"
#include "os/elf_file.h"

#define PY311 "/usr/bin/python3.11"
#define LIBPY310 "/root/.pyenv/versions/3.10.13/lib/libpython3.10.so.1.0"

static struct elf_file *elf_file_test_open(const char *path)
{
	struct elf_file *ef;

	if (access(path, R_OK)) {
		printf("SKIP: %s not present\n", path);
		return NULL;
	}
	ef = elf_file__open(path);
	CHECK(ef != NULL);
	return ef;
}

TEST(elf_file_open_non_elf_is_enoexec)
{
	errno = 0;
	CHECK(elf_file__open("/etc/hostname") == NULL);
	CHECK_EQ(errno, ENOEXEC);
}

TEST(elf_file_open_missing_is_enoent)
{
	errno = 0;
	CHECK(elf_file__open("/nonexistent/elf_file_test") == NULL);
	CHECK_EQ(errno, ENOENT);
}

TEST(elf_file_open_directory_fails)
{
	CHECK(elf_file__open("/usr/bin") == NULL);
}

/* A bare ELF header: class, machine and type chosen by the test. */
static void elf_file_write_header(const char *path, unsigned char cls,
				  uint16_t machine, uint16_t type)
{
	Elf64_Ehdr eh;
	int fd;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = cls;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = type;
	eh.e_machine = machine;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, &eh, sizeof(eh)) == (ssize_t)sizeof(eh));
	close(fd);
}

TEST(elf_file_open_rejects_wrong_kinds)
{
	char path[] = "/tmp/elf_file_test_XXXXXX";
	int fd = mkstemp(path);
	struct elf_file *ef;

	CHECK(fd >= 0);
	close(fd);

	/* the control: a bare x86-64 ET_DYN header is accepted */
	elf_file_write_header(path, ELFCLASS64, EM_X86_64, ET_DYN);
	ef = elf_file__open(path);
	CHECK(ef != NULL);
	CHECK(elf_file__soname(ef) == NULL);
	CHECK(!elf_file__has_symtab(ef));
	uint8_t b;
	CHECK_EQ(elf_file__read_vaddr(ef, 0, &b, 1), -EFAULT);
	elf_file__close(ef);

	elf_file_write_header(path, ELFCLASS64, EM_X86_64, ET_REL);
	errno = 0;
	CHECK(elf_file__open(path) == NULL);
	CHECK_EQ(errno, ENOEXEC);

	elf_file_write_header(path, ELFCLASS64, EM_AARCH64, ET_DYN);
	errno = 0;
	CHECK(elf_file__open(path) == NULL);
	CHECK_EQ(errno, ENOEXEC);

	elf_file_write_header(path, ELFCLASS32, EM_386, ET_EXEC);
	errno = 0;
	CHECK(elf_file__open(path) == NULL);
	CHECK_EQ(errno, ENOEXEC);

	/* empty file */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	close(fd);
	errno = 0;
	CHECK(elf_file__open(path) == NULL);
	CHECK_EQ(errno, ENOEXEC);
	unlink(path);
}

TEST(elf_file_python311_usdt_semaphores)
{
	struct elf_file *ef = elf_file_test_open(PY311);
	uint64_t sema = 0;

	if (!ef)
		return;
	/* readelf -n: Semaphore values of provider python */
	CHECK(elf_file__has_usdt(ef, "python", "function__entry", &sema));
	CHECK_EQ(sema, 0xa84260);
	CHECK(elf_file__has_usdt(ef, "python", "function__return", &sema));
	CHECK_EQ(sema, 0xa84262);
	CHECK(elf_file__has_usdt(ef, "python", "line", &sema));
	CHECK_EQ(sema, 0xa8426c);
	CHECK(elf_file__has_usdt(ef, "python", "import__find__load__done", &sema));
	CHECK_EQ(sema, 0xa84274);
	CHECK(elf_file__has_usdt(ef, "python", "gc__start", NULL));

	CHECK(!elf_file__has_usdt(ef, "python", "function__entr", &sema));
	CHECK(!elf_file__has_usdt(ef, "python", "no_such_probe", NULL));
	CHECK(!elf_file__has_usdt(ef, "pythonx", "line", NULL));
	CHECK(!elf_file__has_usdt(ef, "", "line", NULL));
	elf_file__close(ef);
}

TEST(elf_file_python311_dynamic_symbols)
{
	struct elf_file *ef = elf_file_test_open(PY311);
	uint64_t v = 0, s = 0;

	if (!ef)
		return;
	CHECK(!elf_file__has_symtab(ef));	/* Debian strips .symtab */
	CHECK(elf_file__soname(ef) == NULL);	/* an executable */
	/* readelf -d: NEEDED libm.so.6, libz.so.1, libexpat.so.1, libc.so.6 */
	CHECK(elf_file__needs_prefix(ef, "libc.so."));
	CHECK(elf_file__needs_prefix(ef, "libz.so"));
	CHECK(!elf_file__needs_prefix(ef, "libpython3."));	/* linked in */
	/* readelf --dyn-syms: Py_Initialize 0x42216a size 7, PyFloat_Type 0x950900 size 408 */
	CHECK_EQ(elf_file__find_symbol(ef, "Py_Initialize", &v, &s), 0);
	CHECK_EQ(v, 0x42216a);
	CHECK_EQ(s, 7);
	CHECK_EQ(elf_file__find_symbol(ef, "PyFloat_Type", &v, &s), 0);
	CHECK_EQ(v, 0x950900);
	CHECK_EQ(s, 408);
	CHECK_EQ(elf_file__find_symbol(ef, "Py_Initializ", &v, &s), -ENOENT);
	/* an undefined import (from libc) must not be found */
	CHECK_EQ(elf_file__find_symbol(ef, "malloc", &v, &s), -ENOENT);
	elf_file__close(ef);
}

TEST(elf_file_libpython310_symbols)
{
	struct elf_file *ef = elf_file_test_open(LIBPY310);
	uint64_t v = 0, s = 0;

	if (!ef)
		return;
	CHECK(elf_file__has_symtab(ef));
	CHECK_STR(elf_file__soname(ef), "libpython3.10.so.1.0");
	CHECK(!elf_file__needs_prefix(ef, "libpython3."));	/* its own SONAME is no NEEDED */
	CHECK(elf_file__needs_prefix(ef, "libc.so."));
	/* nm -S: 0000000000065540 00000000000094a3 T _PyEval_EvalFrameDefault */
	CHECK_EQ(elf_file__find_symbol(ef, "_PyEval_EvalFrameDefault", &v, &s), 0);
	CHECK_EQ(v, 0x65540);
	CHECK_EQ(s, 0x94a3);
	/* nm -S: 0000000000370dc0 0000000000000800 d opcode_targets.17 */
	CHECK_EQ(elf_file__find_symbol(ef, "opcode_targets", &v, &s), -ENOENT);
	v = s = 0;
	CHECK_EQ(elf_file__find_symbol_prefix(ef, "opcode_targets", &v, &s), 0);
	CHECK_EQ(v, 0x370dc0);
	CHECK_EQ(s, 0x800);
	CHECK_EQ(elf_file__find_symbol(ef, "opcode_targets.17", &v, &s), 0);
	CHECK_EQ(v, 0x370dc0);
	/* a prefix of the name is not NAME.<digits> */
	CHECK_EQ(elf_file__find_symbol_prefix(ef, "opcode_target", &v, &s), -ENOENT);
	CHECK_EQ(elf_file__find_symbol_prefix(ef, "opcode", &v, &s), -ENOENT);
	/* nm: only "INVALID_VERSION_CHECK.part.0" exists; ".part.0" is not
	 * a numeric suffix */
	CHECK_EQ(elf_file__find_symbol_prefix(ef, "INVALID_VERSION_CHECK", &v, &s), -ENOENT);
	CHECK_EQ(elf_file__find_symbol(ef, "INVALID_VERSION_CHECK.part.0", &v, &s), 0);
	CHECK_EQ(v, 0x75680);
	/* nm: _PyMem_SetupAllocators 0x113210 size 0x3ab, its ".cold" part
	 * at 0x64751 must not be taken */
	CHECK_EQ(elf_file__find_symbol_prefix(ef, "_PyMem_SetupAllocators", &v, &s), 0);
	CHECK_EQ(v, 0x113210);
	CHECK_EQ(s, 0x3ab);
	/* the prefix lookup still finds exact names */
	CHECK_EQ(elf_file__find_symbol_prefix(ef, "_PyEval_EvalFrameDefault", &v, &s), 0);
	CHECK_EQ(v, 0x65540);
	CHECK(!elf_file__has_usdt(ef, "python", "function__entry", NULL));
	elf_file__close(ef);
}

TEST(elf_file_libpython310_read_vaddr)
{
	struct elf_file *ef = elf_file_test_open(LIBPY310);
	/* xxd -s 0x65540 -l 16 (objdump: push %r15; push %r14; ...; sub $0x148,%rsp) */
	static const uint8_t entry[16] = {
		0x41, 0x57, 0x41, 0x56, 0x41, 0x55, 0x41, 0x54,
		0x55, 0x53, 0x48, 0x81, 0xec, 0x48, 0x01, 0x00,
	};
	uint8_t buf[32];
	uint64_t off = 0, word = 0;

	if (!ef)
		return;
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(elf_file__read_vaddr(ef, 0x65540, buf, 16), 16);
	CHECK(!memcmp(buf, entry, 16));
	CHECK_EQ(elf_file__vaddr_to_offset(ef, 0x65540, &off), 0);
	CHECK_EQ(off, 0x65540);

	/* RW LOAD: offset 0x36ecb0 vaddr 0x36fcb0 filesz 0x38c50 memsz 0x3e9c8.
	 * opcode_targets.17 at vaddr 0x370dc0 -> file 0x36fdc0: 47 5d 06 00 .. */
	CHECK_EQ(elf_file__vaddr_to_offset(ef, 0x370dc0, &off), 0);
	CHECK_EQ(off, 0x36fdc0);
	CHECK_EQ(elf_file__read_vaddr(ef, 0x370dc0, &word, 8), 8);
	CHECK_EQ(word, 0x65d47);

	/* across the end of filesz (0x3a8900): the file has .comment there
	 * ("GCC: (Debian..."), the memory image must read zeros (.bss) */
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(elf_file__read_vaddr(ef, 0x3a88f0, buf, 32), 32);
	for (int i = 0; i < 32; i++)
		CHECK_EQ(buf[i], 0);
	CHECK_EQ(elf_file__vaddr_to_offset(ef, 0x3a8900, &off), -ENOENT);
	/* last byte of memsz (0x36fcb0 + 0x3e9c8 = 0x3ae678) */
	CHECK_EQ(elf_file__read_vaddr(ef, 0x3ae677, buf, 1), 1);
	CHECK_EQ(elf_file__read_vaddr(ef, 0x3ae677, buf, 2), -EFAULT);
	CHECK_EQ(elf_file__read_vaddr(ef, 0x3ae678, buf, 1), -EFAULT);
	/* gap between LOAD 1 (ends 0x5e538) and LOAD 2 (0x5f000) */
	CHECK_EQ(elf_file__read_vaddr(ef, 0x5e600, buf, 1), -EFAULT);
	CHECK_EQ(elf_file__read_vaddr(ef, 0x5e530, buf, 16), -EFAULT);
	CHECK_EQ(elf_file__read_vaddr(ef, 0x5e530, buf, 8), 8);
	CHECK_EQ(elf_file__vaddr_to_offset(ef, 0x5e600, &off), -ENOENT);
	CHECK_EQ(elf_file__read_vaddr(ef, UINT64_MAX - 3, buf, 8), -EFAULT);
	elf_file__close(ef);
}

/*
 * Prelink rule (SystemTap SDT docs): the note's addresses are off by
 * (address of .stapsdt.base - the note's recorded base). Take a copy of
 * python3.11 whose function__entry note says base 0x8cc590 while
 * .stapsdt.base really is at 0x8cc5a0 (readelf -S): the semaphore must
 * move by +0x10.
 */
TEST(elf_file_usdt_prelink_adjustment)
{
	/* readelf -n: Location 0x4f20a1, Base 0x8cc5a0, Semaphore 0xa84260 */
	const uint64_t desc[3] = { htole64(0x4f20a1), htole64(0x8cc5a0), htole64(0xa84260) };
	char path[] = "/tmp/elf_file_prelink_XXXXXX";
	struct elf_file *ef;
	uint64_t sema = 0;
	unsigned char *data, *hit;
	size_t size;
	FILE *f;

	if (access(PY311, R_OK)) {
		printf("SKIP: %s not present\n", PY311);
		return;
	}
	f = fopen(PY311, "rb");
	CHECK(f != NULL);
	CHECK(fseek(f, 0, SEEK_END) == 0);
	size = (size_t)ftell(f);
	rewind(f);
	data = malloc(size);
	CHECK(data && fread(data, 1, size, f) == size);
	fclose(f);
	hit = memmem(data, size, desc, sizeof(desc));
	CHECK(hit != NULL);
	uint64_t base = htole64(0x8cc590);
	memcpy(hit + 8, &base, 8);

	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);
	free(data);
	ef = elf_file__open(path);
	unlink(path);
	CHECK(ef != NULL);
	CHECK(elf_file__has_usdt(ef, "python", "function__entry", &sema));
	CHECK_EQ(sema, 0xa84270);
	/* the other notes are untouched */
	CHECK(elf_file__has_usdt(ef, "python", "function__return", &sema));
	CHECK_EQ(sema, 0xa84262);
	elf_file__close(ef);
}

/*
 * Another session's uprobe on the file must not show through. A uprobe
 * writes its int3 into every mapping of the file the kernel calls
 * "may execute" (valid_vma: VM_MAYEXEC without VM_MAYSHARE), and a
 * read-only private mapping of a file on an exec-capable mount is one:
 * libelf's ELF_C_READ_MMAP view of libpython showed 0xcc at every site
 * that another tracer (or bpftrace, or our own -a session) probed, and
 * the disassembly and the int3 checks read it as the file's code.
 * Probe a copy of libpython3.10 at _PyEval_EvalFrameDefault while it is
 * open: the read must still give the file's bytes.
 */
#include <linux/perf_event.h>
#include <sys/syscall.h>
TEST(elf_file_read_ignores_uprobe_breakpoints)
{
	static const uint8_t entry[4] = { 0x41, 0x57, 0x41, 0x56 };
	char path[] = "/tmp/elf_file_uprobe_XXXXXX";
	struct perf_event_attr attr;
	struct elf_file *ef;
	char buf[1 << 16];
	uint8_t code[4];
	int in, out, type, pfd;
	FILE *f;
	ssize_t n;

	if (geteuid() != 0 || access(LIBPY310, R_OK)) {
		printf("SKIP: needs root and %s\n", LIBPY310);
		return;
	}
	f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	if (!f || fscanf(f, "%d", &type) != 1) {
		printf("SKIP: no uprobe PMU\n");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	in = open(LIBPY310, O_RDONLY | O_CLOEXEC);
	out = mkstemp(path);
	CHECK(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK_EQ(write(out, buf, n), n);
	close(in);
	close(out);

	ef = elf_file__open(path);
	CHECK(ef != NULL);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config1 = (uint64_t)(uintptr_t)path;	/* uprobe_path */
	attr.config2 = 0x65540;				/* probe_offset */
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	CHECK(pfd >= 0);
	if (ef && pfd >= 0) {
		CHECK_EQ(elf_file__read_vaddr(ef, 0x65540, code, 4), 4);
		CHECK(!memcmp(code, entry, 4));
	}
	if (pfd >= 0)
		close(pfd);
	elf_file__close(ef);
	unlink(path);
}
