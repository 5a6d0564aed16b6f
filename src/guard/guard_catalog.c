/*-------------------------------------------------------------------------
 * guard_catalog.c
 *		Catalog writes (issue 13, class 3).
 *
 *	- While juki is loaded, no role — superusers included, juki's own code
 *	  included — runs INSERT, UPDATE, DELETE, MERGE or COPY FROM on a system
 *	  catalog (pg_catalog's tables, shared ones too, and their TOAST), in any
 *	  database, whether typed, in a CTE, a rule or a function: a catalog row
 *	  written by hand can make a function juki's (pg_depend), swap a juki
 *	  function's body (pg_proc), rename juki's schema (pg_namespace) or
 *	  turn statistics on (pg_attribute).  Each attempt is logged.
 *	- Planner statistics of juki's personal and secret data stay empty
 *	  whatever the catalog says.  Every column of every juki relation keeps
 *	  none, except the log tables' bookkeeping columns (seq, time, role,
 *	  action, outcome, hashes ...).  The install script sets their
 *	  statistics targets to 0; here juki makes the catalog say so again,
 *	  and removes any pg_statistic row such a column has: before and after
 *	  every ANALYZE and VACUUM in juki's database, and in the audit writer
 *	  at every start and every few seconds (autovacuum has no hook).  Each
 *	  repair is logged (planner_statistics, reason statistics_purged).
 *	  Locks are only tried, never waited for: the writer must not block.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/heap.h"
#include "catalog/indexing.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_statistic_ext.h"
#include "commands/defrem.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "format/json.h"
#include "log/append.h"
#include "core/message.h"
#include "core/objects.h"
#include "guard_catalog.h"
#include "guard_context.h"

/* ------------------------------------------------------------ catalog DML */

void
juki_check_catalog_write(RangeTblEntry *rte, CmdType op)
{
	if (rte->rtekind != RTE_RELATION || !IsCatalogRelationOid(rte->relid))
		return;
	/* SELECT ... FOR UPDATE locks rows: it writes nothing */
	if ((rte->requiredPerms & (ACL_INSERT | ACL_DELETE)) ||
		((rte->requiredPerms & ACL_UPDATE) && op != CMD_SELECT))
		juki_refuse_direct(juki_rte_command(rte, op), juki_qualified_relname(rte->relid), true);
}

/* ----------------------------------------------------- planner statistics */

/* The log tables' columns that hold no personal data keep statistics. */
static const char *const log_columns_with_statistics[] = {
	/* operation_log */
	"seq", "ts", "db_role", "operator_id", "session_id", "card_serial", "client_addr",
	"backend_pid", "action", "purpose", "permit_id", "outcome", "reason", "fields",
	"row_count", "prev_hash", "hash", "login_role",
	/* audit_checkpoint */
	"origin", "key_id", "signature", "line",
	/* audit_export */
	"id", "from_seq", "to_seq", "checkpoint_seq", "digest", "exported_by", "exported_at",
	NULL
};

static bool
protected_column(JukiRelKind kind, char relkind, const char *attname)
{
	const char *const *c;

	if (kind != JUKI_REL_LOG || relkind == RELKIND_INDEX)
		return true;
	for (c = log_columns_with_statistics; *c; c++)
		if (strcmp(*c, attname) == 0)
			return false;
	return true;
}

typedef struct StatsRepair
{
	int			targets_reset;
	int			statistics_purged;
	List	   *relations;		/* qualified names */
} StatsRepair;

/* Is column attnum of index indexrelid an expression (only those get statistics)? */
static bool
index_expression_column(Oid indexrelid, AttrNumber attnum)
{
	HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexrelid));
	bool		expr = false;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_index ix = (Form_pg_index) GETSTRUCT(tup);

		expr = attnum <= ix->indnatts && ix->indkey.values[attnum - 1] == 0;
		ReleaseSysCache(tup);
	}
	return expr;
}

static void
set_target_zero(Oid relid, AttrNumber attnum)
{
	Relation	attrel = table_open(AttributeRelationId, RowExclusiveLock);
	HeapTuple	tup = SearchSysCacheCopyAttNum(relid, attnum);

	if (HeapTupleIsValid(tup))
	{
		((Form_pg_attribute) GETSTRUCT(tup))->attstattarget = 0;
		CatalogTupleUpdate(attrel, &tup->t_self, tup);
		heap_freetuple(tup);
	}
	table_close(attrel, RowExclusiveLock);
}

/* Make one relation's protected columns right; true if it needed it. */
static bool
repair_relation(Oid relid, char relkind, int natts, StatsRepair *r)
{
	JukiRelKind kind = juki_rel_kind(relid);
	bool		locked = false;
	bool		changed = false;
	AttrNumber	attnum;

	for (attnum = 1; attnum <= natts; attnum++)
	{
		HeapTuple	tup = SearchSysCacheAttNum(relid, attnum);
		Form_pg_attribute att;
		bool		target;
		bool		stats;

		if (!HeapTupleIsValid(tup))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tup);
		if (att->attisdropped || !protected_column(kind, relkind, NameStr(att->attname)))
		{
			ReleaseSysCache(tup);
			continue;
		}
		/* a plain index column never has statistics, whatever its target */
		target = att->attstattarget != 0 &&
			(relkind != RELKIND_INDEX || index_expression_column(relid, attnum));
		ReleaseSysCache(tup);
		stats = SearchSysCacheExists3(STATRELATTINH, ObjectIdGetDatum(relid),
									  Int16GetDatum(attnum), BoolGetDatum(false)) ||
			SearchSysCacheExists3(STATRELATTINH, ObjectIdGetDatum(relid),
								  Int16GetDatum(attnum), BoolGetDatum(true));
		if (!target && !stats)
			continue;
		/* as ALTER TABLE ... SET STATISTICS does; skip a busy relation this time */
		if (!locked && !(locked = ConditionalLockRelationOid(relid, ShareUpdateExclusiveLock)))
			return changed;
		if (target)
		{
			set_target_zero(relid, attnum);
			r->targets_reset++;
		}
		if (stats)
		{
			RemoveStatistics(relid, attnum);
			r->statistics_purged++;
		}
		changed = true;
	}
	return changed;
}

typedef struct JukiRel
{
	Oid			relid;
	char		relkind;
	int			natts;
} JukiRel;

/*
 * Extended statistics on a juki table (made while juki was not loaded:
 * CREATE STATISTICS on juki's tables is refused): an expression's
 * statistics ignore the columns' targets, so the object's target goes to
 * 0 and its data away.
 */
static bool
repair_extended(Oid relid, StatsRepair *r)
{
	Relation	extrel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	List	   *targets = NIL;
	List	   *purge = NIL;
	ListCell   *lc;
	bool		changed = false;

	extrel = table_open(StatisticExtRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_statistic_ext_stxrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(extrel, StatisticExtRelidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_statistic_ext x = (Form_pg_statistic_ext) GETSTRUCT(tup);

		if (x->stxstattarget != 0)
			targets = lappend_oid(targets, x->oid);
		if (SearchSysCacheExists2(STATEXTDATASTXOID, ObjectIdGetDatum(x->oid), BoolGetDatum(false)) ||
			SearchSysCacheExists2(STATEXTDATASTXOID, ObjectIdGetDatum(x->oid), BoolGetDatum(true)))
			purge = lappend_oid(purge, x->oid);
	}
	systable_endscan(scan);
	table_close(extrel, AccessShareLock);
	if (targets == NIL && purge == NIL)
		return false;
	if (!ConditionalLockRelationOid(relid, ShareUpdateExclusiveLock))
		return false;
	foreach(lc, targets)
	{
		Relation	rel = table_open(StatisticExtRelationId, RowExclusiveLock);
		HeapTuple	copy = SearchSysCacheCopy1(STATEXTOID, ObjectIdGetDatum(lfirst_oid(lc)));

		if (HeapTupleIsValid(copy))
		{
			((Form_pg_statistic_ext) GETSTRUCT(copy))->stxstattarget = 0;
			CatalogTupleUpdate(rel, &copy->t_self, copy);
			r->targets_reset++;
			changed = true;
		}
		table_close(rel, RowExclusiveLock);
	}
	foreach(lc, purge)
	{
		bool		inh;

		for (inh = false;; inh = true)
		{
			if (SearchSysCacheExists2(STATEXTDATASTXOID, ObjectIdGetDatum(lfirst_oid(lc)),
									  BoolGetDatum(inh)))
				RemoveStatisticsDataById(lfirst_oid(lc), inh);
			if (inh)
				break;
		}
		r->statistics_purged++;
		changed = true;
	}
	return changed;
}

/* Every relation of juki's schema: make its protected columns right. */
static void
repair_statistics(StatsRepair *r)
{
	Oid			nsp = juki_namespace();
	Relation	classrel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	JukiRel    *rels;
	int			nrels = 0;
	int			maxrels = 64;
	int			i;

	memset(r, 0, sizeof(*r));
	if (!OidIsValid(nsp))
		return;
	rels = palloc(sizeof(JukiRel) * maxrels);
	classrel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_class_relnamespace, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(nsp));
	scan = systable_beginscan(classrel, InvalidOid, false, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		if (c->relkind != RELKIND_RELATION && c->relkind != RELKIND_PARTITIONED_TABLE &&
			c->relkind != RELKIND_MATVIEW && c->relkind != RELKIND_INDEX)
			continue;
		if (nrels == maxrels)
			rels = repalloc(rels, sizeof(JukiRel) * (maxrels *= 2));
		rels[nrels].relid = c->oid;
		rels[nrels].relkind = c->relkind;
		rels[nrels].natts = c->relnatts;
		nrels++;
	}
	systable_endscan(scan);
	table_close(classrel, AccessShareLock);

	for (i = 0; i < nrels; i++)
	{
		bool		changed = repair_relation(rels[i].relid, rels[i].relkind, rels[i].natts, r);

		if (rels[i].relkind != RELKIND_INDEX)
			changed = repair_extended(rels[i].relid, r) || changed;
		if (changed)
			r->relations = lappend(r->relations, juki_qualified_relname(rels[i].relid));
	}
	if (r->targets_reset > 0 || r->statistics_purged > 0)
		CommandCounterIncrement();
}

static int
name_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

static char *
repair_detail(StatsRepair *r)
{
	JukiDetail	d;
	JkBuf		b;
	ListCell   *lc;

	list_sort(r->relations, name_cmp);
	juki_buf_init(&b);
	jk_buf_append_str(&b, "[");
	foreach(lc, r->relations)
	{
		const char *name = lfirst(lc);

		if (lc != list_head(r->relations))
			jk_buf_append_str(&b, ",");
		jk_json_string(&b, name, strlen(name));
	}
	jk_buf_append_str(&b, "]");
	jd_init(&d);
	jd_int(&d, "targets_reset", r->targets_reset);
	jd_int(&d, "statistics_purged", r->statistics_purged);
	jd_json(&d, "relations", b.data);
	return jd_finish(&d);
}

/*
 * For the audit writer, inside a transaction of its own: the detail of an
 * entry to write (canonical JSON, in the current memory context), or NULL
 * if everything was right.
 */
char *
juki_statistics_sweep(void)
{
	StatsRepair r;

	repair_statistics(&r);
	if (r.targets_reset == 0 && r.statistics_purged == 0)
		return NULL;
	ereport(WARNING,
			(errmsg("juki removed planner statistics of personal data"),
			 errdetail("Statistics targets reset to 0: %d; statistics of columns or statistics objects removed: %d.",
					   r.targets_reset, r.statistics_purged)));
	return repair_detail(&r);
}

/*
 * Around ANALYZE and VACUUM in juki's database: before, so that nothing is
 * collected; after, so that nothing stays.  Each repair is one entry.
 */
void
juki_statistics_around_analyze(bool before)
{
	StatsRepair r;
	JukiAuditRecord rec;
	const char *problem;

	if (!IsTransactionState())
		return;
	repair_statistics(&r);
	if (r.targets_reset == 0 && r.statistics_purged == 0)
		return;
	juki_audit_record_init(&rec, "planner_statistics", JUKI_ERROR, "statistics_purged");
	rec.detail = repair_detail(&r);
	ereport(WARNING,
			(errmsg("juki removed planner statistics of personal data %s %s",
					before ? "before" : "after", "ANALYZE"),
			 errdetail("Statistics targets reset to 0: %d; statistics of columns or statistics objects removed: %d.",
					   r.targets_reset, r.statistics_purged)));
	if (!juki_audit_log_try(&rec, &problem))
		ereport(WARNING, (errmsg("juki could not log the removal: %s", juki_tr(problem))));
}
