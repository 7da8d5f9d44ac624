// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include "os/dwarf_file.h"

struct dwarf_file {
	Dwfl *dwfl;
	Dwarf *dw;
	char *debuginfo_path;	/* libdwfl keeps a pointer to it */
	char source[4096];
};

/* "+:.debug:ROOT/usr/lib/debug" (+: debuglink CRCs checked) with ROOT
 * the /proc/PID/root prefix of PATH */
static char *debuginfo_path(const char *path)
{
	const char *p = path;
	size_t root = 0;
	char *out;
	int pid_len = 0;

	if (!strncmp(p, "/proc/", 6) && sscanf(p + 6, "%*d%n", &pid_len) == 0 && pid_len > 0 &&
	    !strncmp(p + 6 + pid_len, "/root/", 6))
		root = 6 + pid_len + 5;
	out = malloc(root + 32);
	if (out)
		sprintf(out, "+:.debug:%.*s/usr/lib/debug", (int)root, path);
	return out;
}

int dwarf_file__open(const char *path, struct dwarf_file **out)
{
	struct dwarf_file *f = calloc(1, sizeof(*f));
	Dwfl_Callbacks cb = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	const char *debugfile = NULL;
	Dwfl_Module *mod;
	Elf *main_elf;
	Dwarf_Addr bias = 0;
	int ret = -ENODATA;

	*out = NULL;
	if (!f || !(f->debuginfo_path = debuginfo_path(path))) {
		free(f);
		return -ENOMEM;
	}
	cb.debuginfo_path = &f->debuginfo_path;
	f->dwfl = dwfl_begin(&cb);
	if (!f->dwfl) {
		ret = -ENOMEM;
		goto fail;
	}
	if (access(path, R_OK)) {
		ret = -errno;
		goto fail;
	}
	mod = dwfl_report_offline(f->dwfl, "", path, -1);
	if (!mod || dwfl_report_end(f->dwfl, NULL, NULL)) {
		ret = -ENOEXEC;
		goto fail;
	}
	/* the Dwarf handle speaks the file's own addresses; BIAS is only
	 * where libdwfl laid the module out (0x10000 for a shared library) */
	f->dw = dwfl_module_getdwarf(mod, &bias);
	if (!f->dw)
		goto fail;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	main_elf = dwfl_module_getelf(mod, &bias);
	if (debugfile && strcmp(debugfile, path))
		snprintf(f->source, sizeof(f->source), "%s", debugfile);
	else if (dwarf_getelf(f->dw) != main_elf)
		/* libdwfl names no file for what debuginfod sent */
		snprintf(f->source, sizeof(f->source), "debuginfod (%s)",
			 getenv("DEBUGINFOD_URLS") ? getenv("DEBUGINFOD_URLS") : "?");
	*out = f;
	return 0;
fail:
	dwarf_file__close(f);
	return ret;
}

Dwarf *dwarf_file__dwarf(struct dwarf_file *f)
{
	return f->dw;
}

const char *dwarf_file__source(const struct dwarf_file *f)
{
	return f->source;
}

void dwarf_file__close(struct dwarf_file *f)
{
	if (!f)
		return;
	if (f->dwfl)
		dwfl_end(f->dwfl);
	free(f->debuginfo_path);
	free(f);
}

const char *dwarf_file__die_name(Dwarf_Die *d)
{
	Dwarf_Attribute at;

	return dwarf_formstring(dwarf_attr_integrate(d, DW_AT_name, &at));
}
