/*-------------------------------------------------------------------------
 * enforcement.c
 *		Notice, at start-up, that the server ran without juki.
 *
 * Without juki in shared_preload_libraries nothing is guarded or logged,
 * and the log cannot say what happened meanwhile.  It can say *that* it
 * happened: the writer records the WAL position in its worker_stop entry,
 * and at the next start it reads the WAL from there to the latest
 * checkpoint.  A clean stop followed by a start with juki leaves exactly
 * one shutdown checkpoint in between; every start and stop without juki
 * adds one.  The check needs the WAL since juki's stop to still be there
 * (it is, after an ordinary restart); if it is gone, that is reported too.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogreader.h"
#include "access/xlogutils.h"
#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "miscadmin.h"

#include "enforcement.h"

int
juki_shutdowns_since(XLogRecPtr from, char *why, size_t whylen)
{
	ControlFileData *cf;
	bool		crc_ok;
	XLogRecPtr	latest;
	XLogReaderState *xr;
	XLogRecPtr	first;
	volatile int shutdowns = 0;
	volatile bool reached = false;
	volatile bool to_end = false;
	ReadLocalXLogPageNoWaitPrivate nowait = {0};
	MemoryContext cxt = CurrentMemoryContext;

	cf = get_controlfile(DataDir, &crc_ok);
	if (!crc_ok)
	{
		snprintf(why, whylen, "pg_control has a bad checksum");
		return -1;
	}
	latest = cf->checkPoint;
	if (latest < from)
	{
		/*
		 * A promoted standby: its last restartpoint may precede the old
		 * primary's stop, and the checkpoint that ends recovery may not be
		 * done yet.  Read to the end of WAL instead; the old primary's
		 * shutdown checkpoint, if it stopped cleanly, is in it.
		 */
		if (RecoveryInProgress() || GetFlushRecPtr(NULL) < from)
		{
			snprintf(why, whylen, "the latest checkpoint %X/%X precedes juki's stop at %X/%X",
					 LSN_FORMAT_ARGS(latest), LSN_FORMAT_ARGS(from));
			return -1;
		}
		to_end = true;
		latest = GetFlushRecPtr(NULL);
	}

	/* the reader notes the end of WAL in its private data (no waiting) */
	xr = XLogReaderAllocate(wal_segment_size, NULL,
							XL_ROUTINE(.page_read = &read_local_xlog_page_no_wait,
									   .segment_open = &wal_segment_open,
									   .segment_close = &wal_segment_close),
							&nowait);
	if (xr == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	PG_TRY();
	{
		first = XLogFindNextRecord(xr, from);
		if (XLogRecPtrIsInvalid(first))
			snprintf(why, whylen, "the WAL after %X/%X is no longer available",
					 LSN_FORMAT_ARGS(from));
		else
		{
			char	   *errormsg = NULL;

			XLogBeginRead(xr, first);
			while (XLogReadRecord(xr, &errormsg) != NULL)
			{
				if (XLogRecGetRmid(xr) == RM_XLOG_ID &&
					(XLogRecGetInfo(xr) & ~XLR_INFO_MASK) == XLOG_CHECKPOINT_SHUTDOWN)
					shutdowns++;
				if (xr->ReadRecPtr >= latest)
				{
					reached = to_end || xr->ReadRecPtr == latest;
					break;
				}
			}
			if (to_end && nowait.end_of_wal)
				reached = true;
			if (!reached)
				snprintf(why, whylen, "the WAL from %X/%X to the latest checkpoint %X/%X cannot be read%s%s",
						 LSN_FORMAT_ARGS(from), LSN_FORMAT_ARGS(latest),
						 errormsg ? ": " : "", errormsg ? errormsg : "");
		}
	}
	PG_CATCH();
	{
		/* e.g. "requested WAL segment ... has already been removed" */
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		snprintf(why, whylen, "%s", ed->message);
		FreeErrorData(ed);
		reached = false;
	}
	PG_END_TRY();
	XLogReaderFree(xr);
	pfree(cf);
	return reached ? shutdowns : -1;
}
