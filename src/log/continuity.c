/*-------------------------------------------------------------------------
 * continuity.c
 *		The log across failover, restore and split brain (issue 18): what
 *		the audit writer checks at start, and before it signs.
 *
 * At start (juki_continuity_at_start, called once, after the chain head
 * is recovered):
 *	- a new WAL timeline since the one the log last recorded means this
 *	  server was promoted (or ended a point-in-time recovery): a `promotion`
 *	  entry names the old and new timeline, the switch point, the last entry
 *	  held from before and the first written after;
 *	- a signed checkpoint already published in juki.checkpoint_directory
 *	  beyond the recovered head (or at a seq whose entry here differs) means
 *	  entries are lost — a restore from backup, or a promoted asynchronous
 *	  standby: a `restore` entry names the lost range and the checkpoint that
 *	  proves it (its line), with a warning.
 * Before every signing (juki_continuity_may_sign): the newest published
 * checkpoint of this chain must be this log's, or a lost range the log
 * records; and while the log is still at or behind it, nothing is signed
 * (a file at the same seq would be overwritten, a signature at a lower seq
 * would fork the published history).  A refusal is the caller's to log.
 *
 * Only the audit writer runs this; no shared memory.  The log is read by
 * SPI in transactions of the writer's own (the writer is past the guard);
 * the lookups use the partial index operation_log_continuity_idx.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "executor/spi.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "core/settings.h"
#include "format/buf.h"
#include "format/checkpoint.h"
#include "record.h"
#include "signing.h"
#include "writer.h"

/* The newest checkpoint file of this chain in juki.checkpoint_directory. */
typedef struct Published
{
	bool		found;
	int64		seq;
	char		hash[JK_HEX_LEN + 1];
	char		line[1024];
	bool		verified;		/* signed by the configured key */
} Published;

/* ------------------------------------------------------------- the files */

static bool
read_checkpoint_file(const char *path, Published *p, JkCheckpoint *cp)
{
	FILE	   *f = AllocateFile(path, "r");
	size_t		len;
	char		err[JK_ERR_LEN];

	if (f == NULL)
		return false;
	len = fread(p->line, 1, sizeof(p->line) - 1, f);
	FreeFile(f);
	p->line[len] = '\0';
	while (len > 0 && (p->line[len - 1] == '\n' || p->line[len - 1] == '\r'))
		p->line[--len] = '\0';
	return jk_checkpoint_parse(p->line, len, cp, err, sizeof(err));
}

/*
 * The newest well-formed checkpoint of the chain origin in the directory.
 * A file signed with the configured key must verify, or it is no evidence
 * (a warning says so); one of an older key is taken as it is (verified
 * false): the key may have been replaced since.
 */
static void
newest_published(const uint8 *origin, Published *p)
{
	DIR		   *dir;
	struct dirent *de;
	char		prefix[32];
	char		hex[JK_HEX_LEN + 1];
	char		best[MAXPGPATH] = "";
	int64		best_seq = -1;
	JkCheckpoint cp;
	uint8		pub[JK_PUBKEY_LEN];
	char		key_id[JK_KEYID_LEN + 1];

	memset(p, 0, sizeof(*p));
	if (juki_checkpoint_directory == NULL || juki_checkpoint_directory[0] == '\0')
		return;
	dir = AllocateDir(juki_checkpoint_directory);
	if (dir == NULL)
		return;
	jk_hex(origin, JK_HASH_LEN, hex);
	snprintf(prefix, sizeof(prefix), "juki-%.16s-", hex);
	while ((de = ReadDirExtended(dir, juki_checkpoint_directory, WARNING)) != NULL)
	{
		size_t		n = strlen(de->d_name);
		int64		seq;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || n < 11 ||
			strcmp(de->d_name + n - 11, ".checkpoint") != 0)
			continue;
		seq = strtoi64(de->d_name + strlen(prefix), NULL, 10);
		if (seq > best_seq)
		{
			best_seq = seq;
			snprintf(best, sizeof(best), "%s/%s", juki_checkpoint_directory, de->d_name);
		}
	}
	FreeDir(dir);
	if (best_seq < 0 || !read_checkpoint_file(best, p, &cp) ||
		memcmp(cp.origin, origin, JK_HASH_LEN) != 0)
		return;
	if (juki_signing_public_key(pub) && jk_key_id(pub, key_id) &&
		strcmp(key_id, cp.key_id) == 0)
	{
		if (!jk_ed25519_verify(pub, p->line, cp.signed_len, cp.sig))
		{
			ereport(WARNING,
					(errmsg("juki ignores a checkpoint file whose signature does not verify"),
					 errdetail("The file for seq %lld in juki.checkpoint_directory is not signed by juki's key.",
							   (long long) cp.seq)));
			return;
		}
		p->verified = true;
	}
	p->found = true;
	p->seq = cp.seq;
	jk_hex(cp.hash, JK_HASH_LEN, p->hash);
}

/* --------------------------------------------------------------- the log */

static void
begin_read(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
end_read(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* The first column of the first row of sql, as text (palloc'd), or NULL. */
static char *
query_text(const char *sql)
{
	if (SPI_execute(sql, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "juki's audit writer cannot read juki.operation_log");
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/* The hash of the entry at seq, in hex; NULL if the log does not hold it. */
static char *
hash_at(int64 seq)
{
	return query_text(psprintf("SELECT encode(hash, 'hex') FROM juki.operation_log WHERE seq = " INT64_FORMAT,
							   seq));
}

/* Does a restore entry already name this published checkpoint? */
static bool
acknowledged(const Published *p)
{
	return query_text(psprintf("SELECT 1 FROM juki.operation_log "
							   "WHERE action IN ('promotion', 'restore', 'timeline') AND action = 'restore' "
							   "AND detail->>'checkpoint_seq' = '" INT64_FORMAT "' "
							   "AND detail->>'checkpoint_hash' = '%s' LIMIT 1",
							   p->seq, p->hash)) != NULL;
}

/* The timeline the log last recorded, or 0. */
static TimeLineID
recorded_timeline(void)
{
	char	   *t = query_text("SELECT detail->>'new_timeline' FROM juki.operation_log "
							   "WHERE action IN ('promotion', 'restore', 'timeline') "
							   "AND action IN ('promotion', 'timeline') ORDER BY seq DESC LIMIT 1");

	return t ? (TimeLineID) strtoul(t, NULL, 10) : 0;
}

/*
 * The last entry of the previous run: the recovered_seq the writer's
 * worker_start (the entry before us) names; the head if there is none.
 */
static int64
last_before(WriterState *ws)
{
	char	   *t = query_text(psprintf("SELECT detail->>'recovered_seq' FROM juki.operation_log "
										"WHERE seq = " INT64_FORMAT " AND action = 'worker_start'",
										ws->next_seq - 1));

	return t ? strtoi64(t, NULL, 10) : ws->next_seq - 1;
}

/* ------------------------------------------------------------- timelines */

/* Parent timeline, switch point and reason of tli, from its history file. */
static void
read_history(TimeLineID tli, TimeLineID *parent, char *switch_lsn, size_t lsnlen,
			 char *reason, size_t reasonlen)
{
	char		path[MAXPGPATH];
	char		buf[8192];
	FILE	   *f;
	size_t		len;
	char	   *line;
	char	   *last = NULL;
	char	   *save;

	*parent = 0;
	switch_lsn[0] = reason[0] = '\0';
	TLHistoryFilePath(path, tli);
	f = AllocateFile(path, "r");
	if (f == NULL)
		return;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	FreeFile(f);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#' && line[0] != '\0')
			last = line;
	if (last)
	{
		unsigned int p,
					hi,
					lo;
		char	   *tab;

		if (sscanf(last, "%u\t%X/%X", &p, &hi, &lo) == 3)
		{
			*parent = p;
			snprintf(switch_lsn, lsnlen, "%X/%X", hi, lo);
		}
		tab = strchr(last, '\t');
		tab = tab ? strchr(tab + 1, '\t') : NULL;
		if (tab)
			strlcpy(reason, tab + 1, reasonlen);
	}
}

/* ----------------------------------------------------------------- start */

void
juki_continuity_at_start(WriterState *ws)
{
	TimeLineID	tli;
	TimeLineID	recorded;
	int64		before;
	char	   *before_hash;
	char	   *published_hash = NULL;
	Published	pub;
	bool		lost = false;
	bool		mismatch = false;
	JukiDetail	d;
	char	   *detail;
	MemoryContext old;

	if (RecoveryInProgress())
		return;
	tli = GetWALInsertionTimeLine();
	old = MemoryContextSwitchTo(ws->batch_cxt);
	newest_published(ws->origin, &pub);
	begin_read();
	recorded = recorded_timeline();
	before = last_before(ws);
	before_hash = before >= 0 ? hash_at(before) : NULL;
	if (before_hash)
		before_hash = MemoryContextStrdup(ws->batch_cxt, before_hash);
	if (pub.found)
	{
		if (pub.seq > before)
			lost = !acknowledged(&pub);
		else
		{
			published_hash = hash_at(pub.seq);
			mismatch = published_hash && strcmp(published_hash, pub.hash) != 0 &&
				!acknowledged(&pub);
		}
	}
	end_read();
	MemoryContextSwitchTo(ws->batch_cxt);

	if (recorded == 0 && tli > 1 && before <= 0)
	{
		/* a new log (genesis is seq 0) on a server promoted before: its timeline */
		jd_init(&d);
		jd_int(&d, "new_timeline", tli);
		detail = jd_finish(&d);
		MemoryContextSwitchTo(old);
		juki_writer_own_in_order(ws, "timeline", JUKI_GRANTED, NULL, detail);
		MemoryContextSwitchTo(ws->batch_cxt);
	}
	else if (tli != (recorded == 0 ? 1 : recorded))
	{
		TimeLineID	parent;
		char		lsn[32];
		char		reason[256];

		read_history(tli, &parent, lsn, sizeof(lsn), reason, sizeof(reason));
		jd_init(&d);
		jd_int(&d, "old_timeline", parent);
		jd_int(&d, "new_timeline", tli);
		if (recorded != 0 && recorded != parent)
			jd_int(&d, "recorded_timeline", recorded);
		if (lsn[0])
			jd_str(&d, "switch_lsn", lsn);
		if (reason[0])
			jd_str(&d, "history_reason", reason);
		jd_int(&d, "last_seq_before", before);
		if (before_hash)
			jd_str(&d, "last_hash_before", before_hash);
		jd_int(&d, "first_seq_after", before + 1);
		detail = jd_finish(&d);
		MemoryContextSwitchTo(old);
		juki_writer_own_in_order(ws, "promotion", JUKI_GRANTED, NULL, detail);
		ereport(LOG,
				(errmsg("juki's log continues on timeline %u after seq %lld (promotion recorded)",
						tli, (long long) before)));
		MemoryContextSwitchTo(ws->batch_cxt);
	}

	if (lost || mismatch)
	{
		jd_init(&d);
		if (lost)
		{
			jd_int(&d, "lost_from_seq", before + 1);
			jd_int(&d, "lost_to_seq", pub.seq);
		}
		else
			jd_int(&d, "differs_at_seq", pub.seq);
		jd_int(&d, "last_seq_before", before);
		if (before_hash)
			jd_str(&d, "last_hash_before", before_hash);
		jd_int(&d, "checkpoint_seq", pub.seq);
		jd_str(&d, "checkpoint_hash", pub.hash);
		jd_bool(&d, "checkpoint_verified", pub.verified);
		jd_str(&d, "checkpoint", pub.line);
		detail = jd_finish(&d);
		MemoryContextSwitchTo(old);
		juki_writer_own_in_order(ws, "restore", JUKI_ERROR,
								 lost ? "lost_range" : "checkpoint_mismatch", detail);
		if (lost)
			ereport(WARNING,
					(errmsg("juki's log ends at seq %lld but a checkpoint at seq %lld was published",
							(long long) before, (long long) pub.seq),
					 errdetail("Entries %lld to %lld are not in this database (a restore, or a promoted standby that had not received them); the lost range is on record.",
							   (long long) (before + 1), (long long) pub.seq),
					 errhint("The exports on media and the published checkpoints hold what was lost.")));
		else
			ereport(WARNING,
					(errmsg("juki's log differs at seq %lld from the checkpoint published for it", (long long) pub.seq),
					 errdetail("The difference is on record in the operation log.")));
	}
	else
		MemoryContextSwitchTo(old);
	MemoryContextReset(ws->batch_cxt);
}

/* --------------------------------------------------------------- signing */

bool
juki_continuity_may_sign(WriterState *ws, const char **code, char *msg, size_t msglen)
{
	Published	pub;
	int64		head = ws->next_seq - 1;
	char	   *here = NULL;
	bool		ack = false;
	bool		ok;

	newest_published(ws->origin, &pub);
	if (!pub.found)
		return true;
	begin_read();
	if (pub.seq <= head)
		here = hash_at(pub.seq);
	ok = pub.seq <= head && (here == NULL || strcmp(here, pub.hash) == 0);
	if (!ok)
		ack = acknowledged(&pub);
	end_read();
	if (ok)
		return true;
	if (!ack)
	{
		*code = "checkpoint_fork";
		snprintf(msg, msglen,
				 "the checkpoint published for seq " INT64_FORMAT " in juki.checkpoint_directory is not of this log, and the log records no lost range for it (another server writes this chain?)",
				 pub.seq);
		return false;
	}
	if (pub.seq > head)
	{
		*code = "behind_published_checkpoint";
		snprintf(msg, msglen,
				 "the log (seq " INT64_FORMAT ") is behind the checkpoint published for seq " INT64_FORMAT " of a lost range; juki signs again once the log has passed it",
				 head, pub.seq);
		return false;
	}
	return true;
}
