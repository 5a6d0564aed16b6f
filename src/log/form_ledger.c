/*-------------------------------------------------------------------------
 * form_ledger.c
 *		The form ledger (帳票, juki.printed_form) and the operation log agree,
 *		whatever the caller's transaction does.
 *
 * A printed form's ledger row is not written by the issuing backend: the
 * audit writer inserts it from the granted issue_form entry (serial and
 * form type in its detail, purpose, operator, residents and fields in its
 * columns, printed_at its time), in the transaction that inserts the
 * entry.  So the row and the entry commit together, before the form leaves
 * the server, and the caller's rollback takes neither back.
 *
 * Serials are YYYY-NNNNNN per year (juki.timezone), without gaps or
 * duplicates.  Locking protocol:
 *	- the form-serial lock of a year is a heavyweight ExclusiveLock with an
 *	  advisory tag that no SQL function can take (SQL advisory locks use
 *	  field4 1 and 2; this one JUKI_LOCK_FORM_SERIAL, locks.h), held at
 *	  transaction level by one issuer from before it reads the year's highest serial
 *	  until its issue_form record is durable; juki_form_serial_release
 *	  gives it back then, and an error gives it back with the transaction;
 *	- before reading, the holder waits until every entry appended before
 *	  it got the lock is filed: the previous issuer's issue_form entry is
 *	  durable in WAL when it releases the lock, but its ledger row exists
 *	  only once the writer has filed it; read earlier, its serial would be
 *	  taken twice (forms wait for the writer; lookups never do);
 *	- the ledger is read with the latest snapshot, not the caller's: the
 *	  rows come from the writer's transactions;
 *	- the writer is the only process that inserts ledger rows.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "core/settings.h"
#include "inserter.h"
#include "record.h"
#include "head.h"
#include "core/spi.h"
#include "form_ledger.h"
#include "core/objects.h"
#include "core/locks.h"
#include "core/message.h"

#define MAX_SERIAL			999999

/* juki's own tag (locks.h): out of reach of SQL advisory locks */
static void
form_lock_tag(LOCKTAG *tag, int year)
{
	juki_lock_tag(tag, JUKI_LOCK_FORM_SERIAL, year);
}

/* The highest serial of the year in the ledger (latest snapshot), 0 if none. */
static int
highest_serial(int year)
{
	JukiSpi		spi;
	SPIPlanPtr	plan;
	Oid			argtype = TEXTOID;
	Datum		pattern = CStringGetTextDatum(psprintf("%04d-______", year));
	int			n = 0;

	juki_spi_begin(&spi);
	/* max() of fixed-width digits: no cast of text to a number (pg_cast) */
	plan = SPI_prepare("SELECT max(serial) FROM juki.printed_form WHERE serial LIKE $1", 1, &argtype);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, &pattern, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "juki: cannot read the form ledger");
	{
		char	   *max = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		int			y;
		char		tail;

		if (max != NULL &&
			(sscanf(max, "%4d-%6d%c", &y, &n, &tail) != 2 || y != year || strlen(max) != 11))
			elog(ERROR, "juki: the form ledger holds a malformed serial");
	}
	juki_spi_end(&spi);
	return n;
}

/* The issuer refuses, on record, when this returns NULL (lock still held). */
char *
juki_form_serial_take(int year, const char **reason)
{
	LOCKTAG		tag;
	TimestampTz deadline;
	int			n;

	form_lock_tag(&tag, year);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), juki_audit_wait_timeout_ms);
	if (!juki_head_wait_filed(deadline))
	{
		*reason = "audit_unavailable";
		return NULL;
	}
	n = highest_serial(year);
	if (n >= MAX_SERIAL)
	{
		*reason = "form_serials_exhausted";
		return NULL;
	}
	return psprintf("%04d-%06d", year, n + 1);
}

void
juki_form_serial_release(int year)
{
	LOCKTAG		tag;

	form_lock_tag(&tag, year);
	(void) LockRelease(&tag, ExclusiveLock, false);
}

/* ------------------------------------------------------------ the writer */

static char *
detail_string(Jsonb *jb, const char *key)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(&jb->root, key, strlen(key), &v) == NULL ||
		v.type != jbvString)
		return NULL;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static Datum
text_array(int n, const char *const *items)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Is serial already in the ledger (committed, or inserted by this batch)? */
static bool
serial_taken(Relation rel, const char *serial)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	if (!OidIsValid(pk))
		elog(ERROR, "juki.printed_form has no primary key");
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(serial));
	scan = systable_beginscan(rel, pk, true, SnapshotSelf, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	return found;
}

/* Insert one ledger row without a query, as the writer inserts log entries. */
static void
insert_row(const JkEntry *e, const char *serial, const char *form_type,
		   TimestampTz printed_at)
{
	Oid			relid = get_relname_relid("printed_form", juki_namespace());
	Relation	rel;
	TupleDesc	desc;
	EState	   *estate;
	ResultRelInfo *rri;
	bool		had_triggers;
	TupleTableSlot *slot;
	int			i;

	if (!OidIsValid(relid))
		elog(ERROR, "relation juki.printed_form does not exist");
	rel = table_open(relid, RowExclusiveLock);
	if (serial_taken(rel, serial))
		elog(ERROR, "serial %s is already in the ledger", serial);
	desc = RelationGetDescr(rel);
	/* the operator's foreign key holds by construction (a live session's operator) */
	rri = juki_insert_target(rel, &estate, &had_triggers);
	slot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
	ExecClearTuple(slot);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *col = NameStr(att->attname);
		Datum	   *v = &slot->tts_values[i];
		bool	   *isnull = &slot->tts_isnull[i];

		*isnull = false;
		if (att->attisdropped)
			*isnull = true;
		else if (strcmp(col, "serial") == 0)
			*v = CStringGetTextDatum(serial);
		else if (strcmp(col, "form_type") == 0)
			*v = CStringGetTextDatum(form_type);
		else if (strcmp(col, "purpose") == 0 && e->purpose)
			*v = CStringGetTextDatum(e->purpose);
		else if (strcmp(col, "operator_id") == 0 && e->has_operator_id)
			*v = Int64GetDatum(e->operator_id);
		else if (strcmp(col, "residents") == 0 && !e->subjects_null)
			*v = text_array(e->nsubjects, e->subjects);
		else if (strcmp(col, "fields") == 0)
			*v = text_array(e->fields_null ? 0 : e->nfields, e->fields);
		else if (strcmp(col, "printed_at") == 0)
			*v = TimestampTzGetDatum(printed_at);
		else if (strcmp(col, "status") == 0)
			*v = CStringGetTextDatum("issued");
		else
			*isnull = true;		/* filed, destroyed, ...: later steps */
	}
	ExecStoreVirtualTuple(slot);
	ExecSimpleRelationInsert(rri, estate, slot);
	juki_insert_target_close(estate, rri);
	table_close(rel, NoLock);
}

/*
 * The ledger row of a granted issue_form entry, in the writer's batch
 * transaction.  In a subtransaction: whatever goes wrong with the ledger
 * (it cannot, by the protocol above) must not stop the log, whose entry
 * then stands alone and the warning says so.
 */
void
juki_form_ledger_write(const JkEntry *e, TimestampTz printed_at)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Jsonb	   *detail;
	char	   *serial;
	char	   *form_type;

	if (e->action == NULL || strcmp(e->action, "issue_form") != 0 ||
		e->outcome == NULL || strcmp(e->outcome, JUKI_GRANTED) != 0 || e->detail == NULL)
		return;
	detail = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(e->detail)));
	serial = detail_string(detail, "form_serial");
	form_type = detail_string(detail, "form_type");
	if (serial == NULL || form_type == NULL)
		return;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		insert_row(e, serial, form_type, printed_at);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		/* the message only: a constraint's DETAIL would show the row */
		ereport(WARNING,
				(errmsg("juki could not enter form %s in the ledger: %s", serial, edata->message),
				 errdetail("The issue_form entry of the operation log names the form.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}
