// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <dwarf.h>
#include <elfutils/debuginfod.h>
#include <elfutils/libdwfl.h>
#include "os/debug_file.h"
#include "os/dwarf_file.h"

struct dwarf_file {
	Dwfl *dwfl;
	Dwarf *dw;
	char *debuginfo_path;	/* libdwfl keeps a pointer to it */
	const char *path;	/* the file described (the caller's) */
	uid_t owner;		/* its owner */
	char root[32];		/* its /proc/PID/root prefix, or "" */
	char source[4096];
	char refused[512];	/* why a debug file found was not used */
};

/*
 * debuginfod's debug file for build-id BITS (LEN bytes): an fd in root's
 * cache, or -1. libdebuginfod is loaded only now, as libdw does it: linked,
 * it would map curl and its TLS stack into every run (+28 libraries, +4 MB
 * resident, a slower start) for a feature used when DEBUGINFOD_URLS is set.
 */
static int dwarf_file__debuginfod(const unsigned char *bits, int len)
{
	static void *lib;
	debuginfod_client *(*begin)(void);
	int (*find)(debuginfod_client *, const unsigned char *, int, char **);
	void (*end)(debuginfod_client *);
	debuginfod_client *c;
	char *cached = NULL;
	int fd;

	if (!lib)
		lib = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
	if (!lib)
		return -1;
	begin = (debuginfod_client *(*)(void))dlsym(lib, "debuginfod_begin");
	find = (int (*)(debuginfod_client *, const unsigned char *, int, char **))
		dlsym(lib, "debuginfod_find_debuginfo");
	end = (void (*)(debuginfod_client *))dlsym(lib, "debuginfod_end");
	if (!begin || !find || !end || !(c = begin()))
		return -1;
	fd = find(c, bits, len, &cached);
	end(c);
	free(cached);
	return fd < 0 ? -1 : fd;
}

/*
 * libdwfl's find_debuginfo callback: the standard search's places, each
 * file checked before it is opened (os/debug_file.c says why and how).
 * When it finds nothing and DEBUGINFOD_URLS is set, debuginfod is asked
 * by build-id (what libdwfl's standard search does last); its file is in
 * root's own cache, and no name is given for it (the source then says
 * "debuginfod"). Else libdwfl uses the file's own DWARF, if any.
 */
/* debug files refused in this process (written here only) */
static unsigned long refusals;

unsigned long dwarf_file__refusals(void)
{
	return __atomic_load_n(&refusals, __ATOMIC_RELAXED);
}

static int dwarf_file__find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
				      Dwarf_Addr base, const char *file_name,
				      const char *debuglink_file, GElf_Word debuglink_crc,
				      char **debuginfo_file_name)
{
	struct dwarf_file *f = *userdata;
	const unsigned char *bits = NULL;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	int fd;

	if (!f)
		return -1;
	fd = debug_file__find(f->path, f->root, f->owner, bits, len > 0 ? (size_t)len : 0,
			      debuglink_file, debuglink_crc, debuginfo_file_name,
			      f->refused, sizeof(f->refused));
	if (fd < 0 && f->refused[0]) {
		/* once: each DWARF query of the file opens it again */
		static char said[sizeof(f->refused)];

		__atomic_add_fetch(&refusals, 1, __ATOMIC_RELAXED);
		if (strcmp(said, f->refused))
			fprintf(stderr, "tracer: warning: separate debug information not "
				"used: %s\n", f->refused);
		memcpy(said, f->refused, sizeof(said));
	}
	if (fd < 0 && len > 0 && getenv("DEBUGINFOD_URLS") && getenv("DEBUGINFOD_URLS")[0])
		fd = dwarf_file__debuginfod(bits, len);
	errno = 0;	/* (nothing found: not an error of the search) */
	return fd < 0 ? -1 : fd;
}

/* "+:.debug:ROOT/usr/lib/debug" (+: debuglink CRCs checked) with ROOT
 * the /proc/PID/root prefix of PATH */
static char *debuginfo_path(const char *path, char *root_out, size_t root_size)
{
	const char *p = path;
	size_t root = 0;
	char *out;
	int pid_len = 0;

	if (!strncmp(p, "/proc/", 6) && sscanf(p + 6, "%*d%n", &pid_len) == 0 && pid_len > 0 &&
	    !strncmp(p + 6 + pid_len, "/root/", 6))
		root = 6 + pid_len + 5;
	snprintf(root_out, root_size, "%.*s", root < root_size ? (int)root : 0, path);
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
		.find_debuginfo = dwarf_file__find_debuginfo,
	};
	struct stat st;
	void **ud = NULL;
	const char *debugfile = NULL;
	Dwfl_Module *mod;
	Elf *main_elf;
	Dwarf_Addr bias = 0;
	int ret = -ENODATA;

	*out = NULL;
	if (!f || !(f->debuginfo_path = debuginfo_path(path, f->root, sizeof(f->root)))) {
		free(f);
		return -ENOMEM;
	}
	cb.debuginfo_path = &f->debuginfo_path;
	f->dwfl = dwfl_begin(&cb);
	if (!f->dwfl) {
		ret = -ENOMEM;
		goto fail;
	}
	if (access(path, R_OK) || stat(path, &st)) {
		ret = -errno;
		goto fail;
	}
	f->path = path;
	f->owner = st.st_uid;
	mod = dwfl_report_offline(f->dwfl, "", path, -1);
	if (!mod || dwfl_report_end(f->dwfl, NULL, NULL)) {
		ret = -ENOEXEC;
		goto fail;
	}
	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	if (ud)
		*ud = f;	/* for dwarf_file__find_debuginfo */
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
	f->path = NULL;	/* (the caller's string) */
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

const char *dwarf_file__refused(const struct dwarf_file *f)
{
	return f->refused;
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
