// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dwarf.h>
#include "os/dwarf_file.h"

int dwarf_file__open(const char *path, Dwarf **dw, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*dw = dwarf_begin(*fd, DWARF_C_READ);
	if (!*dw) {
		close(*fd);
		return -ENODATA;
	}
	return 0;
}

void dwarf_file__close(Dwarf *dw, int fd)
{
	dwarf_end(dw);
	close(fd);
}

const char *dwarf_file__die_name(Dwarf_Die *d)
{
	Dwarf_Attribute at;

	return dwarf_formstring(dwarf_attr_integrate(d, DW_AT_name, &at));
}
