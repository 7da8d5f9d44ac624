// SPDX-License-Identifier: MIT
/*
 * Where a function (or a fragment of one) begins and ends, without a
 * symbol table: from the call-frame information every x86-64 binary keeps
 * for unwinding, which `strip --strip-all` leaves in place.
 *
 * .eh_frame_hdr (LSB 5.0, "Exception Frame Header") holds a table sorted
 * by initial location, (initial_location, fde_address) pairs: the FDE for
 * ADDR is the last entry whose initial location is <= ADDR. The FDE
 * (".eh_frame" in the same document, the DWARF CIE/FDE format with GNU
 * augmentations) then says pc_begin and pc_range; pc_begin's encoding is
 * the 'R' augmentation of the FDE's CIE (usually pc-relative sdata4),
 * pc_range uses the same value format, not applied to any base. Every
 * read is bounds-checked: this parses a file from anywhere.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "os/eh_frame.h"
#include "os/elf_file.h"

/* DW_EH_PE_* (LSB 5.0, "DWARF Exception Header Encoding") */
#define PE_OMIT 0xff
#define PE_FORMAT 0x0f
#define PE_APPLY 0x70
#define PE_INDIRECT 0x80
#define PE_ABSPTR 0x00
#define PE_ULEB128 0x01
#define PE_UDATA2 0x02
#define PE_UDATA4 0x03
#define PE_UDATA8 0x04
#define PE_SLEB128 0x09
#define PE_SDATA2 0x0a
#define PE_SDATA4 0x0b
#define PE_SDATA8 0x0c
#define PE_PCREL 0x10
#define PE_DATAREL 0x30

struct cur {
	const uint8_t *p, *end;
	uint64_t vaddr;		/* of p */
	bool bad;
};

static uint64_t get_u(struct cur *c, unsigned n)
{
	uint64_t v = 0;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	c->vaddr += n;
	return v;
}

static uint64_t get_leb(struct cur *c, bool sign)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (c->bad || c->p >= c->end || shift > 63) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		c->vaddr++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return v;
}

/* a value of encoding ENC; DATA is the datarel base. APPLY false for
 * pc_range (format only). */
static uint64_t get_enc(struct cur *c, uint8_t enc, uint64_t data, bool apply)
{
	uint64_t at = c->vaddr, v;

	if (enc == PE_OMIT || (enc & PE_INDIRECT)) {
		c->bad = true;
		return 0;
	}
	switch (enc & PE_FORMAT) {
	case PE_ABSPTR: case PE_UDATA8: case PE_SDATA8: v = get_u(c, 8); break;
	case PE_UDATA2: v = get_u(c, 2); break;
	case PE_SDATA2: v = (uint64_t)(int64_t)(int16_t)get_u(c, 2); break;
	case PE_UDATA4: v = get_u(c, 4); break;
	case PE_SDATA4: v = (uint64_t)(int64_t)(int32_t)get_u(c, 4); break;
	case PE_ULEB128: v = get_leb(c, false); break;
	case PE_SLEB128: v = get_leb(c, true); break;
	default: c->bad = true; return 0;
	}
	if (!apply)
		return v;
	switch (enc & PE_APPLY) {
	case 0: return v;
	case PE_PCREL: return at + v;
	case PE_DATAREL: return data + v;
	default: c->bad = true; return 0;
	}
}

/* a cursor on .eh_frame at OFF, LEN bytes */
static bool eh_at(const struct eh_frame *f, uint64_t off, uint64_t len, struct cur *c)
{
	if (off > f->eh_len || len > f->eh_len - off)
		return false;
	c->p = f->eh + off;
	c->end = c->p + len;
	c->vaddr = f->eh_vaddr + off;
	c->bad = false;
	return true;
}

/* the FDE pointer encoding ('R') of the CIE at OFF in .eh_frame */
static int cie_fde_encoding(const struct eh_frame *f, uint64_t off, uint8_t *enc)
{
	struct cur c;
	uint32_t len;
	uint8_t version;
	const char *aug;
	size_t aug_n;

	if (!eh_at(f, off, 4, &c))
		return -EINVAL;
	len = (uint32_t)get_u(&c, 4);
	if (len == 0xffffffffu || !eh_at(f, off + 4, len, &c))
		return -EINVAL;	/* 64-bit DWARF: not in .eh_frame of x86-64 */
	if (get_u(&c, 4) != 0)
		return -EINVAL;	/* not a CIE */
	version = (uint8_t)get_u(&c, 1);
	if (c.bad || (version != 1 && version != 3))
		return -EINVAL;
	aug = (const char *)c.p;
	aug_n = strnlen(aug, (size_t)(c.end - c.p));
	if (aug_n == (size_t)(c.end - c.p))
		return -EINVAL;
	c.p += aug_n + 1;
	c.vaddr += aug_n + 1;
	if (strstr(aug, "eh"))
		get_u(&c, 8);
	get_leb(&c, false);	/* code alignment */
	get_leb(&c, true);	/* data alignment */
	if (version == 1)
		get_u(&c, 1);
	else
		get_leb(&c, false);
	*enc = PE_ABSPTR;
	if (aug[0] != 'z')
		return c.bad ? -EINVAL : 0;
	get_leb(&c, false);	/* augmentation data length */
	for (size_t i = 1; i < aug_n && !c.bad; i++) {
		switch (aug[i]) {
		case 'R':
			*enc = (uint8_t)get_u(&c, 1);
			break;
		case 'L':
			get_u(&c, 1);
			break;
		case 'P': {
			uint8_t penc = (uint8_t)get_u(&c, 1);
			get_enc(&c, penc & ~PE_INDIRECT, 0, false);
			break;
		}
		case 'S': case 'B':
			break;
		default:
			return -EINVAL;	/* unknown: cannot read on */
		}
	}
	return c.bad ? -EINVAL : 0;
}

/* the range of the FDE at .eh_frame offset OFF */
static int fde_range(const struct eh_frame *f, uint64_t off, uint64_t *start, uint64_t *end)
{
	struct cur c;
	uint32_t len, cie_ptr;
	uint64_t range;
	uint8_t enc;
	int ret;

	if (!eh_at(f, off, 4, &c))
		return -EINVAL;
	len = (uint32_t)get_u(&c, 4);
	if (len == 0xffffffffu || len < 8 || !eh_at(f, off + 4, len, &c))
		return -EINVAL;
	cie_ptr = (uint32_t)get_u(&c, 4);
	if (!cie_ptr || cie_ptr > off + 4)
		return -EINVAL;	/* a CIE, or a pointer out of the section */
	ret = cie_fde_encoding(f, off + 4 - cie_ptr, &enc);
	if (ret)
		return ret;
	*start = get_enc(&c, enc, 0, true);
	range = get_enc(&c, enc & PE_FORMAT, 0, false);
	if (c.bad || *start + range < *start)
		return -EINVAL;
	*end = *start + range;
	return 0;
}

int eh_frame__extent(const struct eh_frame *f, uint64_t addr, uint64_t *start, uint64_t *end)
{
	struct cur c = { f->hdr, f->hdr + f->hdr_len, f->hdr_vaddr, false };
	uint8_t version, ptr_enc, count_enc, table_enc;
	uint64_t count, lo = 0, hi, fde = 0;
	size_t entry;

	version = (uint8_t)get_u(&c, 1);
	ptr_enc = (uint8_t)get_u(&c, 1);
	count_enc = (uint8_t)get_u(&c, 1);
	table_enc = (uint8_t)get_u(&c, 1);
	if (c.bad || version != 1 || table_enc == PE_OMIT || count_enc == PE_OMIT)
		return -EINVAL;
	get_enc(&c, ptr_enc, f->hdr_vaddr, true);
	count = get_enc(&c, count_enc, f->hdr_vaddr, true);
	/* the binary search needs fixed-size entries */
	switch (table_enc & PE_FORMAT) {
	case PE_UDATA4: case PE_SDATA4: entry = 8; break;
	case PE_UDATA8: case PE_SDATA8: case PE_ABSPTR: entry = 16; break;
	default: return -EINVAL;
	}
	if (c.bad || count > (size_t)(c.end - c.p) / entry)
		return -EINVAL;
	if (!count)
		return -ENOENT;
	/* the last entry with initial location <= addr */
	hi = count;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		struct cur e = { c.p + mid * entry, c.end, c.vaddr + mid * entry, false };
		uint64_t loc = get_enc(&e, table_enc, f->hdr_vaddr, true);

		if (e.bad)
			return -EINVAL;
		if (loc <= addr)
			lo = mid;
		else
			hi = mid;
	}
	{
		struct cur e = { c.p + lo * entry, c.end, c.vaddr + lo * entry, false };
		uint64_t loc = get_enc(&e, table_enc, f->hdr_vaddr, true);

		fde = get_enc(&e, table_enc, f->hdr_vaddr, true);
		if (e.bad)
			return -EINVAL;
		if (loc > addr)
			return -ENOENT;
	}
	if (fde < f->eh_vaddr || fde - f->eh_vaddr >= f->eh_len)
		return -EINVAL;
	if (fde_range(f, fde - f->eh_vaddr, start, end))
		return -EINVAL;
	return addr >= *start && addr < *end ? 0 : -ENOENT;
}

int eh_frame__from_elf(struct elf_file *ef, struct eh_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (elf_file__section(ef, ".eh_frame_hdr", &f->hdr, &f->hdr_len, &f->hdr_vaddr) ||
	    elf_file__section(ef, ".eh_frame", &f->eh, &f->eh_len, &f->eh_vaddr))
		return -ENOENT;
	return 0;
}
