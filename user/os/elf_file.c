// SPDX-License-Identifier: MIT
/*
 * Read-only queries on an ELF file through libelf's gelf API: symbols,
 * PT_LOAD contents by virtual address, DT_SONAME and SystemTap SDT notes.
 * Every offset taken from the file is checked against the file's size.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <libelf.h>
#include <elfutils/libdwelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "os/elf_file.h"

#define NT_STAPSDT 3
#define STAPSDT_OWNER "stapsdt"
#define NOTE_ALIGN 4

struct elf_file {
	int fd;
	Elf *elf;
	const char *raw;	/* the whole file (libelf's mapping: no code read here) */
	size_t raw_size;
	GElf_Phdr *loads;	/* PT_LOAD headers */
	size_t n_loads;
	const char *soname;	/* points into libelf's data, or NULL */
	bool has_symtab;
};

static Elf_Scn *find_section(struct elf_file *ef, const char *name,
			     GElf_Shdr *shdr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		const char *s;

		if (!gelf_getshdr(scn, shdr))
			continue;
		s = elf_strptr(ef->elf, shstrndx, shdr->sh_name);
		if (s && !strcmp(s, name))
			return scn;
	}
	return NULL;
}

int elf_file__section(struct elf_file *ef, const char *name, const uint8_t **data,
		      size_t *size, uint64_t *vaddr)
{
	GElf_Shdr sh;

	if (!find_section(ef, name, &sh) || sh.sh_type != SHT_PROGBITS ||
	    sh.sh_offset > ef->raw_size || sh.sh_size > ef->raw_size - sh.sh_offset)
		return -ENOENT;
	*data = (const uint8_t *)ef->raw + sh.sh_offset;
	*size = sh.sh_size;
	*vaddr = sh.sh_addr;
	return 0;
}

static int load_phdrs(struct elf_file *ef)
{
	size_t n, i;

	if (elf_getphdrnum(ef->elf, &n))
		return -ENOEXEC;
	if (!n)
		return 0;
	ef->loads = calloc(n, sizeof(*ef->loads));
	if (!ef->loads)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		/* a segment whose file part lies outside the file is unusable */
		if (ph.p_offset > ef->raw_size ||
		    ph.p_filesz > ef->raw_size - ph.p_offset)
			continue;
		if (ph.p_memsz < ph.p_filesz)
			ph.p_memsz = ph.p_filesz;
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			continue;
		ef->loads[ef->n_loads++] = ph;
	}
	return 0;
}

static void load_dynamic(struct elf_file *ef)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && sh.sh_size)
			ef->has_symtab = true;
		if (sh.sh_type != SHT_DYNAMIC || ef->soname)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t esz = gelf_fsize(ef->elf, ELF_T_DYN, 1, EV_CURRENT);

		if (!d || !esz)
			continue;
		for (size_t i = 0; i < d->d_size / esz; i++) {
			GElf_Dyn dyn;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag == DT_SONAME) {
				ef->soname = elf_strptr(ef->elf, sh.sh_link,
							dyn.d_un.d_val);
				break;
			}
		}
	}
}

bool elf_file__needs_prefix(struct elf_file *ef, const char *prefix)
{
	size_t plen = strlen(prefix);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t esz = gelf_fsize(ef->elf, ELF_T_DYN, 1, EV_CURRENT);

		for (size_t i = 0; d && esz && i < d->d_size / esz; i++) {
			GElf_Dyn dyn;
			const char *name;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			/* elf_strptr checks the offset against the string table */
			if (dyn.d_tag == DT_NEEDED &&
			    (name = elf_strptr(ef->elf, sh.sh_link, dyn.d_un.d_val)) &&
			    !strncmp(name, prefix, plen))
				return true;
		}
	}
	return false;
}

int elf_file__build_id_of_fd(int fd, unsigned char *out, size_t max)
{
	const void *id = NULL;
	ssize_t n;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
	if (n > 0 && (size_t)n <= max)
		memcpy(out, id, n);
	else
		n = -ENOENT;
	elf_end(elf);
	return (int)n;
}

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *ef;
	GElf_Ehdr eh;
	struct stat st;
	int err = ENOEXEC;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		errno = ENOMEM;
		return NULL;
	}
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		err = errno;
		goto fail;
	}
	if (fstat(ef->fd, &st)) {
		err = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		goto fail;	/* ENOEXEC */
	/* mapped: code bytes are read from the file itself, never through
	 * this mapping (elf_file__read_vaddr says why). Reading the whole
	 * file instead (ELF_C_READ) cost 130-145 ms of page faults per
	 * session for a 30 MB libpython with DWARF. */
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF)
		goto fail;
	if (gelf_getclass(ef->elf) != ELFCLASS64 || !gelf_getehdr(ef->elf, &eh))
		goto fail;
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		goto fail;
	ef->raw = elf_rawfile(ef->elf, &ef->raw_size);
	if (!ef->raw)
		goto fail;
	err = -load_phdrs(ef);
	if (err)
		goto fail;
	load_dynamic(ef);
	return ef;
fail:
	elf_file__close(ef);
	errno = err;
	return NULL;
}

void elf_file__close(struct elf_file *ef)
{
	if (!ef)
		return;
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->loads);
	free(ef);
}

bool elf_file__has_symtab(struct elf_file *ef)
{
	return ef->has_symtab;
}

/* Does SYM match NAME exactly (1), as NAME.<digits> (2 with prefix), or not (0)? */
static int name_match(const char *sym, const char *name, bool prefix)
{
	size_t n = strlen(name);
	const char *p;

	if (strncmp(sym, name, n))
		return 0;
	if (sym[n] == '\0')
		return 1;
	if (!prefix || sym[n] != '.' || !sym[n + 1])
		return 0;
	for (p = sym + n + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 2;
}

/*
 * Search .symtab, then .dynsym. Ranking: a defined FUNC/OBJECT symbol beats
 * any other type; then an exact name beats NAME.<digits>; the first of the
 * best rank wins.
 */
static int find_sym(struct elf_file *ef, const char *name, bool prefix,
		    uint64_t *value, uint64_t *size)
{
	static const Elf64_Word types[] = { SHT_SYMTAB, SHT_DYNSYM };
	size_t esz = gelf_fsize(ef->elf, ELF_T_SYM, 1, EV_CURRENT);
	int best = 0;
	GElf_Sym found = { 0 };

	if (!name || !esz)
		return -ENOENT;
	for (size_t t = 0; t < 2; t++) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(ef->elf, scn))) {
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != types[t])
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);

			if (!d)
				continue;
			for (size_t i = 0; i < d->d_size / esz; i++) {
				GElf_Sym s;
				const char *sn;
				int m, rank, type;

				if (!gelf_getsym(d, (int)i, &s) ||
				    s.st_shndx == SHN_UNDEF || !s.st_name)
					continue;
				type = GELF_ST_TYPE(s.st_info);
				if (type == STT_SECTION || type == STT_FILE)
					continue;
				sn = elf_strptr(ef->elf, sh.sh_link, s.st_name);
				if (!sn || !(m = name_match(sn, name, prefix)))
					continue;
				rank = (type == STT_FUNC || type == STT_OBJECT) ? 4 : 1;
				rank += m == 1 ? 2 : 1;
				if (rank > best) {
					best = rank;
					found = s;
				}
			}
		}
	}
	if (!best)
		return -ENOENT;
	if (value)
		*value = found.st_value;
	if (size)
		*size = found.st_size;
	return 0;
}

int elf_file__find_symbol(struct elf_file *ef, const char *name,
			  uint64_t *value, uint64_t *size)
{
	return find_sym(ef, name, false, value, size);
}

int elf_file__find_symbol_prefix(struct elf_file *ef, const char *name,
				 uint64_t *value, uint64_t *size)
{
	return find_sym(ef, name, true, value, size);
}

/*
 * The whole range [VADDR, VADDR+LEN) must lie inside one PT_LOAD's memory
 * image (p_memsz); the part past p_filesz (.bss) reads as zeros.
 */
/* pread until LEN bytes or the end of the file (-1 on an error) */
static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

ssize_t elf_file__read_vaddr(struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	if (len > SSIZE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < ef->n_loads; i++) {
		const GElf_Phdr *ph = &ef->loads[i];
		uint64_t rel, from_file;

		if (vaddr < ph->p_vaddr || vaddr - ph->p_vaddr >= ph->p_memsz)
			continue;
		rel = vaddr - ph->p_vaddr;
		if (len > ph->p_memsz - rel)
			return -EFAULT;
		from_file = rel < ph->p_filesz ? ph->p_filesz - rel : 0;
		if (from_file > len)
			from_file = len;
		/*
		 * From the file, not libelf's mapping of it: a uprobe another
		 * session places without a process filter (tracer -a, bpftrace)
		 * writes its int3 into every private mapping of the file the
		 * kernel deems executable (valid_vma wants VM_MAYEXEC, which a
		 * read-only mapping on an exec-capable mount has), so the mapping
		 * shows other sessions' probes as the file's code: seen as the
		 * disassembly, the exit_unwind analysis and unit tests failing
		 * while a -a session ran, and an analysis root's cache would keep.
		 * The page cache itself is never written.
		 * p_offset + p_filesz <= raw_size was checked in load_phdrs.
		 */
		if (from_file && pread_full(ef->fd, buf, from_file,
					    ph->p_offset + rel) != (ssize_t)from_file)
			return -EIO;
		memset((char *)buf + from_file, 0, len - from_file);
		return (ssize_t)len;
	}
	return -EFAULT;
}

unsigned char *elf_file__copy(struct elf_file *ef, uint64_t vaddr, uint64_t size, int *err)
{
	unsigned char *buf;

	*err = -EINVAL;
	if (!size || size > (16u << 20))
		return NULL;
	*err = -ENOMEM;
	buf = malloc(size);
	if (!buf)
		return NULL;
	*err = -EFAULT;
	if (elf_file__read_vaddr(ef, vaddr, buf, size) != (ssize_t)size) {
		free(buf);
		return NULL;
	}
	*err = 0;
	return buf;
}

int elf_file__read_pointers(struct elf_file *ef, uint64_t vaddr, uint64_t *out, size_t n)
{
	Elf_Scn *scn = NULL;
	ssize_t got;

	if (n > SSIZE_MAX / 8)
		return -EINVAL;
	got = elf_file__read_vaddr(ef, vaddr, out, n * 8);
	if (got < 0)
		return (int)got;
	/* position-independent code: the words are 0 in the file and each has
	 * an R_X86_64_RELATIVE relocation whose addend is the value */
	while ((scn = elf_nextscn(ef->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		size_t cnt = d->d_size / sh.sh_entsize;
		for (size_t i = 0; i < cnt; i++) {
			GElf_Rela r;

			if (!gelf_getrela(d, (int)i, &r))
				break;
			if (GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE || r.r_offset < vaddr ||
			    r.r_offset - vaddr >= n * 8 || (r.r_offset - vaddr) % 8)
				continue;
			out[(r.r_offset - vaddr) / 8] = (uint64_t)r.r_addend;
		}
	}
	return 0;
}

bool elf_file__vaddr_is_exec(struct elf_file *ef, uint64_t vaddr)
{
	for (size_t i = 0; i < ef->n_loads; i++) {
		const GElf_Phdr *ph = &ef->loads[i];

		if ((ph->p_flags & PF_X) && vaddr >= ph->p_vaddr &&
		    vaddr - ph->p_vaddr < ph->p_filesz)
			return true;
	}
	return false;
}

int elf_file__vaddr_to_offset(struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < ef->n_loads; i++) {
		const GElf_Phdr *ph = &ef->loads[i];

		if (vaddr < ph->p_vaddr || vaddr - ph->p_vaddr >= ph->p_filesz)
			continue;
		*off = ph->p_offset + (vaddr - ph->p_vaddr);
		return 0;
	}
	return -ENOENT;
}

const char *elf_file__soname(struct elf_file *ef)
{
	return ef->soname;
}

/* ---- SystemTap SDT notes ---- */

static size_t align_up(size_t v)
{
	return (v + NOTE_ALIGN - 1) & ~(size_t)(NOTE_ALIGN - 1);
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* Take a NUL-terminated string at *P, which must end before END. */
static const char *take_str(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p, *nul;

	if (s >= end)
		return NULL;
	nul = memchr(s, '\0', (size_t)(end - s));
	if (!nul)
		return NULL;
	*p = nul + 1;
	return (const char *)s;
}

static int parse_stapsdt_desc(const unsigned char *d, size_t dsz,
			      struct usdt_note *n)
{
	const unsigned char *p = d + 24, *end = d + dsz;

	if (dsz < 24)
		return -EINVAL;
	n->pc = get_u64(d);
	n->base = get_u64(d + 8);
	n->sema = get_u64(d + 16);
	n->provider = take_str(&p, end);
	n->name = n->provider ? take_str(&p, end) : NULL;
	n->args = n->name ? take_str(&p, end) : NULL;
	return n->args ? 0 : -EINVAL;
}

/* One pass over the notes; with CB NULL it only validates. */
static int walk_notes(const unsigned char *buf, size_t len,
		      int (*cb)(const struct usdt_note *n, void *ctx), void *ctx)
{
	size_t off = 0;

	while (off < len) {
		size_t rem = len - off, namesz, descsz, name_pad, desc_off;
		uint32_t type;

		if (rem < 12)
			return -EINVAL;
		namesz = get_u32(buf + off);
		descsz = get_u32(buf + off + 4);
		type = get_u32(buf + off + 8);
		name_pad = align_up(namesz);
		if (name_pad > rem - 12 || descsz > rem - 12 - name_pad)
			return -EINVAL;
		desc_off = off + 12 + name_pad;
		if (type == NT_STAPSDT && namesz == sizeof(STAPSDT_OWNER) &&
		    !memcmp(buf + off + 12, STAPSDT_OWNER, sizeof(STAPSDT_OWNER))) {
			struct usdt_note n;
			int err = parse_stapsdt_desc(buf + desc_off, descsz, &n);

			if (err)
				return err;
			if (cb && (err = cb(&n, ctx)))
				return err;
		}
		/* the last note's descriptor padding may be cut by the section end */
		if (align_up(descsz) >= len - desc_off)
			break;
		off = desc_off + align_up(descsz);
	}
	return 0;
}

int usdt_notes__parse(const void *data, size_t len,
		      int (*cb)(const struct usdt_note *n, void *ctx), void *ctx)
{
	int err;

	if (!data && len)
		return -EINVAL;
	/* validate everything first: a malformed section yields no callbacks */
	err = walk_notes(data, len, NULL, NULL);
	if (err)
		return err;
	return cb ? walk_notes(data, len, cb, ctx) : 0;
}

/* elf_file__each_usdt's pass: each note's addresses corrected */
struct usdt_each {
	int (*cb)(const struct usdt_note *n, void *ctx);
	void *ctx;
	uint64_t base_addr;	/* .stapsdt.base's address, 0 if none */
};

static int usdt_correct(const struct usdt_note *n, void *ctx)
{
	struct usdt_each *e = ctx;
	struct usdt_note c = *n;

	/*
	 * SystemTap's rule: when the file was prelinked, the note's
	 * addresses are off by (address of .stapsdt.base - recorded base).
	 */
	if (c.base && e->base_addr && e->base_addr != c.base) {
		c.pc += e->base_addr - c.base;
		if (c.sema)
			c.sema += e->base_addr - c.base;
	}
	return e->cb(&c, e->ctx);
}

int elf_file__each_usdt(struct elf_file *ef, int (*cb)(const struct usdt_note *n, void *ctx),
			void *ctx)
{
	struct usdt_each e = { .cb = cb, .ctx = ctx };
	GElf_Shdr sh, base_sh;
	Elf_Scn *scn = find_section(ef, ".note.stapsdt", &sh);
	Elf_Data *d;

	if (!scn || sh.sh_type != SHT_NOTE)
		return -ENOENT;
	d = elf_rawdata(scn, NULL);
	if (!d || !d->d_buf)
		return -ENOENT;
	if (find_section(ef, ".stapsdt.base", &base_sh))
		e.base_addr = base_sh.sh_addr;
	return usdt_notes__parse(d->d_buf, d->d_size, usdt_correct, &e);
}

struct usdt_query {
	const char *provider, *name;
	uint64_t sema;
	bool found;
};

static int usdt_match(const struct usdt_note *n, void *ctx)
{
	struct usdt_query *q = ctx;

	if (strcmp(n->provider, q->provider) || strcmp(n->name, q->name))
		return 0;
	q->found = true;
	q->sema = n->sema;
	return 1;
}

bool elf_file__has_usdt(struct elf_file *ef, const char *provider,
			const char *name, uint64_t *sema)
{
	struct usdt_query q = { .provider = provider, .name = name };

	if (!provider || !name || elf_file__each_usdt(ef, usdt_match, &q) != 1 || !q.found)
		return false;
	if (sema)
		*sema = q.sema;
	return true;
}

/* The name of the dynamic symbol whose address the loader writes into the
 * GOT word at SLOT (an R_X86_64_JUMP_SLOT or GLOB_DAT relocation of
 * .rela.plt/.rela.dyn): what a PLT stub `jmp *SLOT(%rip)` calls. Kept by
 * strip (the loader needs it). 0 and NAME (valid until close), or -ENOENT. */
int elf_file__slot_symbol(struct elf_file *ef, uint64_t slot, const char **name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(ef->elf, scn))) {
		Elf_Data *d;
		Elf_Scn *syms;
		GElf_Shdr ssh;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)) || !(syms = elf_getscn(ef->elf, sh.sh_link)) ||
		    !gelf_getshdr(syms, &ssh) || ssh.sh_type != SHT_DYNSYM)
			continue;
		n = d->d_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Rela r;
			GElf_Sym s;
			Elf_Data *sd;
			unsigned type;

			if (!gelf_getrela(d, (int)i, &r) || r.r_offset != slot)
				continue;
			type = GELF_R_TYPE(r.r_info);
			if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
			    !(sd = elf_getdata(syms, NULL)) ||
			    !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &s) ||
			    !(*name = elf_strptr(ef->elf, ssh.sh_link, s.st_name)))
				return -ENOENT;
			return 0;
		}
	}
	return -ENOENT;
}
