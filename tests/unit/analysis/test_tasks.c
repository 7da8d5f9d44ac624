// SPDX-License-Identifier: MIT
/*
 * analyzer, --async-tasks (user/analysis/tasks.c): a TR_EV_TASK gives the
 * next call of its frame a task, which its callees inherit; tasks are
 * numbered per (process, Task, name); 3.12+'s "Task-N" names; resumptions
 * whose task is unknown are counted, unless _asyncio was found not
 * imported after them (TR_TASK_ABSENT).
 */
#include "unit.h"
#include "analysis/analyzer.h"
#include "analyzer_events.h"

#define PID 200

struct task_sink {
	struct sink base;
	char log[4096];		/* "func:task-number:name" per call, in order */
	char names[16][16];
};

static int ts_func(struct sink *s, const struct func_info *f)
{
	struct task_sink *c = (struct task_sink *)s;

	CHECK(f->id < 16);
	snprintf(c->names[f->id], sizeof(c->names[f->id]), "%s", f->qualname);
	return 0;
}

static int ts_call(struct sink *s, const struct call_rec *r)
{
	struct task_sink *c = (struct task_sink *)s;
	size_t n = strlen(c->log);

	snprintf(c->log + n, sizeof(c->log) - n, "%s:%u:%s\n", c->names[r->func], r->task,
		 r->task_name ? r->task_name : "-");
	return 0;
}

static const struct sink_ops task_ops = { .name = "tasks", .func = ts_func, .call = ts_call };

static struct tr_ev_hdr thdr(uint8_t type, uint16_t size, uint64_t ts)
{
	return ev_hdr(type, size, PID, 1, ts);
}

static void code(struct analyzer *a, uint64_t addr, const char *name)
{
	CHECK_EQ(ev_code(a, PID, 1, 1, addr, name), 0);
}

static void call(struct analyzer *a, uint64_t ts, uint64_t frame, uint64_t parent, uint64_t c)
{
	CHECK_EQ(ev_call(a, PID, 1, ts, frame, parent, c), 0);
}

static void ret(struct analyzer *a, uint64_t ts, uint64_t frame)
{
	CHECK_EQ(ev_return(a, PID, 1, ts, frame, 0), 0);
}

/* a TR_EV_TASK: FLAGS, of FRAME, Task TASK named NAME (NULL: "Task-NUM") */
static void task(struct analyzer *a, uint64_t ts, uint8_t flags, uint64_t frame, uint64_t t,
		 const char *name, uint64_t num)
{
	static struct tr_ev_task e;

	memset(&e, 0, sizeof(e));
	e.hdr = thdr(TR_EV_TASK, sizeof(e), ts);
	e.hdr.flags = flags;
	e.frame = frame;
	e.task = t;
	if (name) {
		e.name_len = strlen(name);
		e.name_enc = 1 | TR_STR_ASCII;
		memcpy(e.name, name, e.name_len);
	} else if (flags & TR_TASK_FOUND) {
		e.hdr.flags |= TR_TASK_NAME_NUM;
		e.name_num = num;
	}
	CHECK_EQ(analyzer__event(a, &e, sizeof(e)), 0);
}

TEST(tasks_inherited_numbered_and_unknown_counted)
{
	struct task_sink cap = { .base.ops = &task_ops };
	struct sink *sinks[1] = { &cap.base };
	struct analyzer *a = analyzer__new(sinks, 1);
	struct in_process p = { .pid = PID, .instance = 1, .version_hex = 0x030c01f0,
				.strategy = TR_STRATEGY_DISPATCH, .attach_ts = 1 };
	const struct session_stats *st;

	CHECK(a);
	CHECK_EQ(analyzer__process(a, &p), 0);
	code(a, 0xc1, "run");
	code(a, 0xc2, "job");
	code(a, 0xc3, "helper");
	code(a, 0xc4, "plain");
	code(a, 0xc5, "early");
	/* before _asyncio was imported (the look at 70 says so): no task */
	task(a, 50, TR_TASK_NO_TABLE, 0x10, 0, NULL, 0);
	call(a, 50, 0x10, 0, 0xc5);
	ret(a, 60, 0x10);
	task(a, 70, TR_TASK_ABSENT, 0, 0, NULL, 0);
	call(a, 100, 0x20, 0, 0xc1);
	/* job-1's step: its awaited helper and a plain callee run for it */
	task(a, 110, TR_TASK_FOUND, 0x30, 0xaaa0, "job-1", 0);
	call(a, 110, 0x30, 0x20, 0xc2);
	call(a, 120, 0x31, 0x30, 0xc3);
	call(a, 125, 0x32, 0x31, 0xc4);
	ret(a, 126, 0x32);
	ret(a, 130, 0x31);
	ret(a, 140, 0x30);
	/* the loop's own call: none */
	call(a, 145, 0x33, 0x20, 0xc4);
	ret(a, 146, 0x33);
	/* a default name of 3.12+, then job-1 again: the same number */
	task(a, 150, TR_TASK_FOUND, 0x40, 0xbbb0, NULL, 7);
	call(a, 150, 0x40, 0x20, 0xc2);
	ret(a, 160, 0x40);
	task(a, 170, TR_TASK_FOUND, 0x30, 0xaaa0, "job-1", 0);
	call(a, 170, 0x30, 0x20, 0xc2);
	ret(a, 175, 0x30);
	/* the same Task object renamed: a new task */
	task(a, 176, TR_TASK_FOUND, 0x30, 0xaaa0, "renamed", 0);
	call(a, 176, 0x30, 0x20, 0xc2);
	ret(a, 177, 0x30);
	/* unknown after the last look without _asyncio: counted */
	task(a, 180, TR_TASK_UNREADABLE, 0x50, 0, NULL, 0);
	call(a, 180, 0x50, 0x20, 0xc2);
	ret(a, 190, 0x50);
	ret(a, 200, 0x20);
	CHECK_EQ(analyzer__end(a, &(struct in_end){ .end_ts = 300 }), 0);
	st = analyzer__stats(a);

	CHECK_STR(cap.log,
		  "early:0:-\n"
		  "plain:1:job-1\n"
		  "helper:1:job-1\n"
		  "job:1:job-1\n"
		  "plain:0:-\n"
		  "job:2:Task-7\n"
		  "job:1:job-1\n"
		  "job:3:renamed\n"
		  "job:0:-\n"
		  "run:0:-\n");
	CHECK_EQ(st->async_tasks, 3);
	CHECK_EQ(st->async_steps, 4);
	CHECK_EQ(st->async_unknown, 1);
	CHECK_EQ(st->n_warnings, 1);
	CHECK(strstr(st->warnings[0], "--async-tasks: 1 coroutine resumptions") != NULL);
	analyzer__free(a);
}
