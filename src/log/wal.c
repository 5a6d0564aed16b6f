/*-------------------------------------------------------------------------
 * wal.c
 *		juki's custom WAL resource manager: the operation log's records
 *		travel through the write-ahead log (DESIGN §7.3).
 *
 * A backend makes its entry durable by inserting one record of this
 * resource manager and flushing the WAL (append.c); the audit writer files
 * it into juki.operation_log afterwards (filing.c).  Why a resource
 * manager of our own and not a logical message: logical decoding ignores
 * records that have no rm_decode, so no output plugin streams resident
 * codes to a slot's consumer; and a server (a standby, a crash recovery)
 * that has not loaded juki cannot replay juki's records at all and stops,
 * instead of running as an unguarded copy of the register (README "Threat
 * model").  Redo changes nothing: the records are already what the writer
 * reads; on a standby it remembers the last seq replayed.
 *
 * A second, small record (FILED) says how far the primary's writer has
 * filed, each time it moves its slot; a standby's redo publishes it in
 * the log head (standby_keep_from, an atomic written only by the startup
 * process) for the standby's own slot (slot_keeper.c), so that its
 * restartpoints keep every segment holding an entry the primary had not
 * filed.
 *
 * Registered only from _PG_init under shared_preload_libraries, as
 * PostgreSQL requires.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog_internal.h"
#include "access/xloginsert.h"
#include "lib/stringinfo.h"

#include "format/hash.h"
#include "head.h"
#include "wal.h"

static int64 last_replayed_seq = -1;

bool
juki_wal_decode(XLogReaderState *rec, JukiWalEntry *hdr, const char **payload)
{
	char	   *data;
	Size		len;

	if (XLogRecGetRmid(rec) != JUKI_RMGR_ID ||
		(XLogRecGetInfo(rec) & ~XLR_INFO_MASK) != XLOG_JUKI_ENTRY)
		return false;
	data = XLogRecGetData(rec);
	len = XLogRecGetDataLen(rec);
	if (len < sizeof(JukiWalEntry))
		return false;
	memcpy(hdr, data, sizeof(JukiWalEntry));
	if (hdr->format != JUKI_WAL_FORMAT || hdr->payload_len != len - sizeof(JukiWalEntry))
		return false;
	*payload = data + sizeof(JukiWalEntry);
	return true;
}

static bool
decode_filed(XLogReaderState *rec, JukiWalFiled *f)
{
	if (XLogRecGetRmid(rec) != JUKI_RMGR_ID ||
		(XLogRecGetInfo(rec) & ~XLR_INFO_MASK) != XLOG_JUKI_FILED ||
		XLogRecGetDataLen(rec) != sizeof(JukiWalFiled))
		return false;
	memcpy(f, XLogRecGetData(rec), sizeof(JukiWalFiled));
	return f->format == JUKI_WAL_FORMAT;
}

bool
juki_wal_malformed_entry(XLogReaderState *rec)
{
	JukiWalEntry hdr;
	const char *payload;

	return XLogRecGetRmid(rec) == JUKI_RMGR_ID &&
		(XLogRecGetInfo(rec) & ~XLR_INFO_MASK) != XLOG_JUKI_FILED &&
		!juki_wal_decode(rec, &hdr, &payload);
}

void
juki_wal_log_filed(XLogRecPtr keep_from)
{
	JukiWalFiled f;

	memset(&f, 0, sizeof(f));
	f.format = JUKI_WAL_FORMAT;
	f.keep_from = keep_from;
	XLogBeginInsert();
	XLogRegisterData((char *) &f, sizeof(f));
	(void) XLogInsert(JUKI_RMGR_ID, XLOG_JUKI_FILED);
}

/*
 * Nothing to redo: the records are their own effect.  A standby notes the
 * seq of an entry, and how far the primary had filed (it only grows: a
 * standby restarted replays older FILED records again).
 */
static void
juki_rm_redo(XLogReaderState *rec)
{
	JukiWalEntry hdr;
	const char *payload;
	JukiWalFiled f;

	if (juki_wal_decode(rec, &hdr, &payload))
		last_replayed_seq = hdr.seq;
	else if (decode_filed(rec, &f) && juki_log_head != NULL &&
			 f.keep_from > pg_atomic_read_u64(&juki_log_head->standby_keep_from))
		pg_atomic_write_u64(&juki_log_head->standby_keep_from, f.keep_from);
}

/* pg_waldump / pg_walinspect: seq and hash, never the entry's content. */
static void
juki_rm_desc(StringInfo buf, XLogReaderState *rec)
{
	JukiWalEntry hdr;
	const char *payload;
	char		hex[JK_HEX_LEN + 1];
	JukiWalFiled f;

	if (decode_filed(rec, &f))
	{
		appendStringInfo(buf, "keep from %X/%X", LSN_FORMAT_ARGS(f.keep_from));
		return;
	}
	if (!juki_wal_decode(rec, &hdr, &payload))
	{
		appendStringInfoString(buf, "malformed");
		return;
	}
	jk_hex(hdr.hash, JK_HASH_LEN, hex);
	appendStringInfo(buf, "seq " INT64_FORMAT "; hash %s; %u bytes", hdr.seq, hex,
					 hdr.payload_len);
}

static const char *
juki_rm_identify(uint8 info)
{
	if ((info & ~XLR_INFO_MASK) == XLOG_JUKI_ENTRY)
		return "ENTRY";
	if ((info & ~XLR_INFO_MASK) == XLOG_JUKI_FILED)
		return "FILED";
	return NULL;
}

static RmgrData juki_rmgr = {
	.rm_name = JUKI_RMGR_NAME,
	.rm_redo = juki_rm_redo,
	.rm_desc = juki_rm_desc,
	.rm_identify = juki_rm_identify,
	/* no rm_decode: logical decoding passes juki's records by */
};

void
juki_wal_register(void)
{
	RegisterCustomRmgr(JUKI_RMGR_ID, &juki_rmgr);
}

int64
juki_wal_last_replayed_seq(void)
{
	return last_replayed_seq;
}
