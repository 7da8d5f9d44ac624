// SPDX-License-Identifier: MIT
/*
 * eh_frame__extent: every function symbol of the machine's interpreter
 * builds is found with its own extent from the unwind tables alone, on
 * the file and on a `strip --strip-all` copy of it (the same answers), and
 * damaged tables are refused.
 */
#include <errno.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "os/eh_frame.h"
#include "os/elf_file.h"
#include "strip_copy.h"

struct func { uint64_t start, size; };

/* the FUNC symbols with a size of PATH's .symtab (or .dynsym) */
static size_t funcs_of(const char *path, struct func **out)
{
	size_t n = 0, cap = 0;
	Elf_Scn *scn = NULL;
	struct func *v = NULL;
	int fd = open(path, O_RDONLY);
	Elf *e;

	elf_version(EV_CURRENT);
	if (fd < 0 || !(e = elf_begin(fd, ELF_C_READ, NULL)))
		return 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_size || !s.st_value)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 4096;
				v = realloc(v, cap * sizeof(*v));
			}
			v[n++] = (struct func){ s.st_value, s.st_size };
		}
	}
	elf_end(e);
	close(fd);
	*out = v;
	return n;
}

/* how many of FUNCS the tables of PATH give exactly; *MISMATCH: covered
 * by an FDE of another extent */
static size_t check_file(const char *path, const struct func *funcs, size_t n, size_t *mismatch)
{
	struct elf_file *ef = elf_file__open(path);
	struct eh_frame f;
	size_t ok = 0;

	*mismatch = 0;
	if (!ef)
		return 0;
	if (eh_frame__from_elf(ef, &f)) {
		elf_file__close(ef);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t s, e;
		int r = eh_frame__extent(&f, funcs[i].start, &s, &e);

		if (!r && s == funcs[i].start && e == funcs[i].start + funcs[i].size)
			ok++;
		else if (!r && s <= funcs[i].start && e >= funcs[i].start + funcs[i].size)
			;	/* inside a larger FDE: an alias or a local piece */
		else if (!r)
			(*mismatch)++;
	}
	elf_file__close(ef);
	return ok;
}

static void check_build(const char *path)
{
	struct func *funcs = NULL;
	size_t n = funcs_of(path, &funcs), ok, ok2, bad, bad2;
	char copy[64];

	ok = check_file(path, funcs, n, &bad);
	printf("  %s: %zu of %zu functions' extents exact, %zu disagree\n", path, ok, n, bad);
	CHECK(n > 0);
	CHECK(ok * 100 >= n * 95);
	CHECK_EQ(bad, 0);
	if (!strip_copy(path, copy, sizeof(copy))) {
		ok2 = check_file(copy, funcs, n, &bad2);
		CHECK_EQ(ok2, ok);	/* the same from the stripped copy */
		CHECK_EQ(bad2, 0);
	}
	unlink(copy);
	free(funcs);
}

TEST(eh_frame_extents_of_every_function)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char pat[512];
	glob_t g;

	if (!access("/usr/bin/python3.11", R_OK))
		check_build("/usr/bin/python3.11");
	snprintf(pat, sizeof(pat), "%s/versions/3.1[123]*/lib/libpython3.*.so.1.0", root);
	if (glob(pat, 0, NULL, &g)) {
		printf("SKIP: no pyenv 3.11-3.13 under %s\n", root);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_build(g.gl_pathv[i]);
	globfree(&g);
}

/* a table of one FDE made by hand: CIE (zR, pcrel|sdata4), FDE for
 * [0x1000, 0x1040), the header's one entry */
static void make_tables(uint8_t *hdr, uint8_t *eh, struct eh_frame *f)
{
	static const uint8_t cie[] = {
		0x14, 0, 0, 0,  0, 0, 0, 0,  1, 'z', 'R', 0,  1, 0x78, 0x10,  1, 0x1b,
		0, 0, 0, 0, 0, 0, 0,
	};
	uint64_t eh_vaddr = 0x2000, hdr_vaddr = 0x3000;
	int32_t v;

	memset(eh, 0, 64);
	memcpy(eh, cie, sizeof(cie));
	/* FDE at 24: length 20, CIE pointer 28 (back to 0), pc_begin, pc_range */
	eh[24] = 20;
	eh[28] = 28;
	v = (int32_t)(0x1000 - (eh_vaddr + 32));
	memcpy(eh + 32, &v, 4);
	v = 0x40;
	memcpy(eh + 36, &v, 4);
	/* header: version 1, eh_frame_ptr pcrel|sdata4, count udata4, table datarel|sdata4 */
	hdr[0] = 1; hdr[1] = 0x1b; hdr[2] = 0x03; hdr[3] = 0x3b;
	v = (int32_t)(eh_vaddr - (hdr_vaddr + 4));
	memcpy(hdr + 4, &v, 4);
	v = 1;
	memcpy(hdr + 8, &v, 4);
	v = (int32_t)(0x1000 - hdr_vaddr);
	memcpy(hdr + 12, &v, 4);
	v = (int32_t)(eh_vaddr + 24 - hdr_vaddr);
	memcpy(hdr + 16, &v, 4);
	*f = (struct eh_frame){ hdr, 20, hdr_vaddr, eh, 64, eh_vaddr };
}

TEST(eh_frame_hand_made_and_damaged)
{
	uint8_t hdr[20], eh[64];
	struct eh_frame f;
	uint64_t s = 0, e = 0;

	make_tables(hdr, eh, &f);
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), 0);
	CHECK_EQ(s, 0x1000);
	CHECK_EQ(e, 0x1040);
	CHECK_EQ(eh_frame__extent(&f, 0x1040, &s, &e), -ENOENT);	/* past its end */
	CHECK_EQ(eh_frame__extent(&f, 0x0fff, &s, &e), -ENOENT);	/* before */
	/* a count larger than the table */
	make_tables(hdr, eh, &f);
	hdr[8] = 2;
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), -EINVAL);
	/* a header cut short */
	make_tables(hdr, eh, &f);
	f.hdr_len = 14;
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), -EINVAL);
	/* an FDE pointer outside .eh_frame */
	make_tables(hdr, eh, &f);
	hdr[17] = 0x7f;
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), -EINVAL);
	/* a CIE pointer that points before the section */
	make_tables(hdr, eh, &f);
	eh[28] = 200;
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), -EINVAL);
	/* an FDE length past the section */
	make_tables(hdr, eh, &f);
	eh[24] = 0xf0;
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), -EINVAL);
	/* an unknown augmentation */
	make_tables(hdr, eh, &f);
	eh[10] = 'Q';
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), -EINVAL);
	/* a bad version */
	make_tables(hdr, eh, &f);
	hdr[0] = 2;
	CHECK_EQ(eh_frame__extent(&f, 0x1010, &s, &e), -EINVAL);
}
