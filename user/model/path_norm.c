// SPDX-License-Identifier: MIT
/*
 * Lexical normalization of file names (co_filename) for the outputs.
 *
 * A code object's file name is whatever string the interpreter was given:
 * `python /srv/app/../w.py` runs code whose co_filename is "/srv/app/../w.py",
 * and a sys.path entry "lib/./" gives "lib/./m.py". Shown as they are, one
 * file appears under several names in a summary, a profile's function
 * table or a coverage report (where names are keys: two names, two files).
 *
 * What is exact without looking at any file system: "//" is "/" (Linux
 * gives a leading "//" no meaning of its own), "." names the directory it is
 * in, and ".." at the root is the root (in the process's own root, as its
 * kernel resolves it). Removing "name/.." is exact only when "name" is not
 * a symbolic link: the kernel resolves ".." from where the link led, so
 * with /srv/app/current -> releases/42, "/srv/app/current/../lib/w.py" is
 * /srv/app/releases/lib/w.py, not the /srv/app/lib/w.py of its letters.
 * Knowing which components are links means looking at the target's file
 * system. As root that follows names a target controls (SECURITY.md: the
 * tracer never opens or resolves a target's paths with its own rights),
 * through a mount namespace that may not be ours, and races the target's
 * renames; as the target's user (user/os/run_as.c) it is a process per
 * session for a cosmetic result. So the tracer does what os.path.normpath,
 * coverage.py's reports and our own code maps (cover_rules.py's
 * _tracer_abspath, the names LCOV and Cobertura carry) do: it removes
 * "name/.." by its letters. The one name then agrees across every output,
 * coverage ones included; the price is that under a link followed by ".."
 * the name shown is the lexical one, which docs/paths.md tells the user
 * (the file Python actually read is the one at the original name).
 *
 * Names that are not paths ("<frozen importlib._bootstrap>", "<string>",
 * "<stdin>", the empty name of a placeholder) are left alone: they begin
 * with "<" or are empty.
 */
#include <string.h>
#include "model/path_norm.h"

bool path_norm__apply(char *s)
{
	bool abs = s[0] == '/';
	size_t len = strlen(s), out = 0, keep = 0;	/* keep: leading ".." kept (relative) */
	const char *p = s;
	char *w = s;

	if (!len || s[0] == '<')
		return false;
	if (abs)
		w[out++] = '/';
	/* components are copied down over the name: the writer never passes the reader */
	while (*p) {
		const char *c;
		size_t n;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = p - c;
		if (!n || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			size_t floor = (abs ? 1 : 0) + keep;	/* nothing to remove below */

			if (out > floor) {
				/* drop the last component and its separator */
				while (out > floor && w[out - 1] != '/')
					out--;
				if (out > (abs ? 1 : 0))
					out--;
				if (abs && out == 0)
					out = 1;
				continue;
			}
			if (abs)	/* "/.." is "/" */
				continue;
			/* a relative name's leading "..": kept */
			if (out)
				w[out++] = '/';
			w[out++] = '.';
			w[out++] = '.';
			keep = out;
			continue;
		}
		if (out > (abs ? 1 : 0))
			w[out++] = '/';
		memmove(w + out, c, n);
		out += n;
	}
	if (!out)
		w[out++] = '.';
	w[out] = '\0';
	return out != len;
}
