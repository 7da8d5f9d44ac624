/* SPDX-License-Identifier: MIT */
/*
 * Field numbers of Perfetto's trace protos (protos/perfetto/trace/ in the
 * Perfetto repository: trace_packet.proto, the track_event protos,
 * clock_snapshot.proto, interned_data.proto) that user/output/pftrace/pftrace.c writes.
 */
#ifndef TRACER_PFTRACE_FIELDS_H
#define TRACER_PFTRACE_FIELDS_H

enum {
	TRACE_PACKET = 1,
	/* TracePacket */
	TP_CLOCK_SNAPSHOT = 6, TP_TIMESTAMP = 8, TP_SEQ_ID = 10, TP_TRACK_EVENT = 11,
	TP_INTERNED_DATA = 12, TP_SEQUENCE_FLAGS = 13, TP_TIMESTAMP_CLOCK_ID = 58,
	TP_DEFAULTS = 59, TP_TRACK_DESCRIPTOR = 60,
	/* TracePacketDefaults, TrackEventDefaults */
	TPD_TIMESTAMP_CLOCK_ID = 58, TPD_TRACK_EVENT_DEFAULTS = 11, TED_TRACK_UUID = 11,
	/* ClockSnapshot, ClockSnapshot.Clock */
	CS_CLOCKS = 1, CS_PRIMARY_TRACE_CLOCK = 2,
	CLK_ID = 1, CLK_TIMESTAMP = 2, CLK_INCREMENTAL = 3,
	/* TrackEvent */
	TE_CATEGORY_IIDS = 3, TE_DEBUG_ANNOTATIONS = 4, TE_TYPE = 9, TE_NAME_IID = 10,
	TE_TRACK_UUID = 11, TE_CATEGORIES = 22, TE_NAME = 23,
	/* InternedData and its entries */
	ID_EVENT_CATEGORIES = 1, ID_EVENT_NAMES = 2, ID_DEBUG_ANNOTATION_NAMES = 3,
	IE_IID = 1, IE_NAME = 2,
	/* DebugAnnotation */
	DA_NAME_IID = 1, DA_BOOL = 2, DA_UINT = 3, DA_STRING = 6, DA_NAME = 10,
	/* TrackDescriptor, ProcessDescriptor, ThreadDescriptor */
	TD_UUID = 1, TD_NAME = 2, TD_PROCESS = 3, TD_THREAD = 4, TD_PARENT_UUID = 5,
	PD_PID = 1, PD_PROCESS_NAME = 6,
	THD_PID = 1, THD_TID = 2, THD_THREAD_NAME = 5,
};
enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3 };
#endif
