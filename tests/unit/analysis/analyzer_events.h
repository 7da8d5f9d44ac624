/* SPDX-License-Identifier: MIT */
/*
 * Events fed to an analyzer by the unit tests of analysis/: one process's
 * main thread (tid = PID), code objects named in /a.py. Each returns what
 * analyzer__event returns.
 */
#ifndef TRACER_TESTS_ANALYZER_EVENTS_H
#define TRACER_TESTS_ANALYZER_EVENTS_H
#include <string.h>
#include "analysis/analyzer.h"

static inline struct tr_ev_hdr ev_hdr(uint8_t type, uint16_t size, uint32_t pid,
				      uint32_t instance, uint64_t ts)
{
	return (struct tr_ev_hdr){ .type = type, .size = size, .pid = pid, .tid = pid,
				   .instance = instance, .ts = ts };
}

/* code object CODE is NAME (ASCII, < 64 bytes) in /a.py */
static inline int ev_code(struct analyzer *a, uint32_t pid, uint32_t instance, uint64_t ts,
			  uint64_t code, const char *name)
{
	static struct tr_ev_code e;

	memset(&e, 0, sizeof(e));
	e.hdr = ev_hdr(TR_EV_CODE, sizeof(e), pid, instance, ts);
	e.code = code;
	e.firstlineno = 1;
	e.name_len = strlen(name);
	e.name_enc = 1 | TR_STR_ASCII;
	memcpy(e.name, name, e.name_len);
	e.file_len = 5;
	e.file_enc = 1 | TR_STR_ASCII;
	memcpy(e.file, "/a.py", 5);
	return analyzer__event(a, &e, sizeof(e));
}

/* FRAME (code object CODE) called from PARENT (0: none); FLAGS: TR_CALL_* */
static inline int ev_call_flagged(struct analyzer *a, uint32_t pid, uint32_t instance,
				  uint64_t ts, uint64_t frame, uint64_t parent, uint64_t code,
				  uint8_t flags)
{
	struct tr_ev_call e = { .hdr = ev_hdr(TR_EV_CALL, sizeof(e), pid, instance, ts),
				.frame = frame, .parent = parent, .code = code };

	e.hdr.flags = flags;
	return analyzer__event(a, &e, sizeof(e));
}

static inline int ev_call(struct analyzer *a, uint32_t pid, uint32_t instance, uint64_t ts,
			  uint64_t frame, uint64_t parent, uint64_t code)
{
	return ev_call_flagged(a, pid, instance, ts, frame, parent, code, 0);
}

/* FRAME returns; FLAGS: TR_RET_* */
static inline int ev_return(struct analyzer *a, uint32_t pid, uint32_t instance, uint64_t ts,
			    uint64_t frame, uint8_t flags)
{
	struct tr_ev_return e = { .hdr = ev_hdr(TR_EV_RETURN, sizeof(e), pid, instance, ts),
				  .frame = frame };

	e.hdr.flags = flags;
	return analyzer__event(a, &e, sizeof(e));
}
#endif
