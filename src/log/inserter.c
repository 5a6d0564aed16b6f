/*-------------------------------------------------------------------------
 * inserter.c
 *		The audit writer's row inserter: rows into juki's tables without a
 *		query (as logical apply does), buffered and inserted together.
 *
 * A row handed in is checked at once (CHECK and NOT NULL constraints,
 * stored generated columns, as ExecSimpleRelationInsert does) and kept in
 * a slot of its own; up to JUKI_INSERT_BUFFER rows (or about 1 MB) go to
 * the table with one table_multi_insert, which fills a heap page per WAL
 * record instead of one record per row, and then their index entries are
 * inserted one row at a time, in the order the rows came (a duplicate seq
 * fails the batch as before).  The rows, their values and constraints are
 * those the one-row path stored; only when they reach the heap differs:
 * juki_inserter_flush before anything in the same transaction reads the
 * table, and juki_inserter_close flushes.  Triggers on juki's tables are
 * ignored with a WARNING (they can only have been added behind juki's
 * back).  Only the writer process uses this: no shared memory.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/nodeModifyTable.h"
#include "nodes/makefuncs.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "inserter.h"

/* flush earlier when the buffered rows are large (detail can be) */
#define JUKI_INSERT_BUFFER_BYTES	(1024 * 1024)

/*
 * An executor state and result relation to insert into rel without a query
 * (as logical apply does), its indexes open.  Its triggers are left out:
 * on juki's tables they can only have been added behind juki's back (a
 * foreign key holds by construction); *had_triggers says whether there
 * were any.  For the writer's rows, tiles and ledger rows alike.
 */
ResultRelInfo *
juki_insert_target(Relation rel, EState **estate, bool *had_triggers)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	ResultRelInfo *rri = makeNode(ResultRelInfo);

	*estate = CreateExecutorState();
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(*estate, list_make1(rte));
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	*had_triggers = rri->ri_TrigDesc != NULL;
	rri->ri_TrigDesc = NULL;
	(*estate)->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(rri, false);
	return rri;
}

void
juki_insert_target_close(EState *estate, ResultRelInfo *rri)
{
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
}

void
juki_inserter_open(JukiInserter *ins, const char *relname)
{
	Oid			relid = get_relname_relid(relname, get_namespace_oid("juki", false));
	bool		had_triggers;

	if (!OidIsValid(relid))
		elog(ERROR, "relation juki.%s does not exist", relname);
	memset(ins, 0, sizeof(*ins));
	ins->rel = table_open(relid, RowExclusiveLock);
	if (ins->rel->rd_rel->relkind != RELKIND_RELATION)
		elog(ERROR, "juki.%s is not a table", relname);
	ins->rri = juki_insert_target(ins->rel, &ins->estate, &had_triggers);
	if (had_triggers)
		ereport(WARNING,
				(errmsg("juki's audit writer ignores triggers on juki.%s", relname)));
	ins->flush_cxt = AllocSetContextCreate(CurrentMemoryContext, "juki inserter flush",
										   ALLOCSET_DEFAULT_SIZES);
	/* by name, every batch: the table may have gained a column (an update) */
	if (strcmp(relname, "operation_log") == 0)
		juki_log_columns_map(RelationGetDescr(ins->rel), &ins->cols);
}

/*
 * Take one row: checked now, in the table at the next flush.  The row is
 * formed into a heap tuple that its slot owns (the one copy the heap
 * insert then uses): the caller may free the values.
 */
void
juki_inserter_insert(JukiInserter *ins, Datum *values, bool *nulls)
{
	TupleDesc	desc = RelationGetDescr(ins->rel);
	TupleTableSlot *slot;
	HeapTuple	tuple;
	MemoryContext old;

	/* slots and tuples live in the executor's context, whatever the caller's */
	old = MemoryContextSwitchTo(ins->estate->es_query_cxt);
	if (ins->nbuffered == ins->nslots)
		ins->slots[ins->nslots++] =
			ExecInitExtraTupleSlot(ins->estate, desc, &TTSOpsHeapTuple);
	slot = ins->slots[ins->nbuffered];
	tuple = heap_form_tuple(desc, values, nulls);
	MemoryContextSwitchTo(old);
	ins->buffered_bytes += tuple->t_len;
	ExecStoreHeapTuple(tuple, slot, true);
	if (desc->constr && desc->constr->has_generated_stored)
		ExecComputeStoredGenerated(ins->rri, ins->estate, slot, CMD_INSERT);
	if (desc->constr)
		ExecConstraints(ins->rri, slot, ins->estate);
	ResetPerTupleExprContext(ins->estate);
	ins->nbuffered++;
	if (ins->nbuffered == JUKI_INSERT_BUFFER ||
		ins->buffered_bytes >= JUKI_INSERT_BUFFER_BYTES)
		juki_inserter_flush(ins);
}

/* The buffered rows into the heap, then their index entries. */
void
juki_inserter_flush(JukiInserter *ins)
{
	MemoryContext old;
	int			i;

	if (ins->nbuffered == 0)
		return;
	old = MemoryContextSwitchTo(ins->flush_cxt);
	/* what it allocates (a toasted copy of a large row) goes with the flush */
	table_multi_insert(ins->rel, ins->slots, ins->nbuffered,
					   ins->estate->es_output_cid, 0, NULL);
	MemoryContextSwitchTo(old);
	for (i = 0; i < ins->nbuffered; i++)
	{
		if (ins->rri->ri_NumIndices > 0)
			list_free(ExecInsertIndexTuples(ins->rri, ins->slots[i], ins->estate,
											false, false, NULL, NIL));
		ResetPerTupleExprContext(ins->estate);
		ExecClearTuple(ins->slots[i]);
	}
	MemoryContextReset(ins->flush_cxt);
	ins->nbuffered = 0;
	ins->buffered_bytes = 0;
}

void
juki_inserter_close(JukiInserter *ins)
{
	juki_inserter_flush(ins);
	juki_insert_target_close(ins->estate, ins->rri);
	MemoryContextDelete(ins->flush_cxt);
	table_close(ins->rel, NoLock);
}
