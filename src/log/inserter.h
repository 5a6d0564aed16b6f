/*-------------------------------------------------------------------------
 * inserter.h
 *		The audit writer's row inserter: rows into juki's tables without
 *		a query, buffered and inserted a page at a time (inserter.c).
 *		Only the writer process uses it.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_INSERTER_H
#define JUKI_LOG_INSERTER_H

#include "executor/executor.h"
#include "utils/rel.h"

#include "columns.h"

/* rows held before they go to the table together */
#define JUKI_INSERT_BUFFER	1000

typedef struct JukiInserter
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	JukiLogColumns cols;		/* operation_log only: its columns by name */
	TupleTableSlot *slots[JUKI_INSERT_BUFFER];	/* created as needed */
	int			nslots;			/* slots created */
	int			nbuffered;		/* rows waiting in slots[0..nbuffered) */
	Size		buffered_bytes; /* their size, roughly */
	MemoryContext flush_cxt;	/* the heap tuples of one flush */
} JukiInserter;

extern ResultRelInfo *juki_insert_target(Relation rel, EState **estate, bool *had_triggers);
extern void juki_insert_target_close(EState *estate, ResultRelInfo *rri);
extern void juki_inserter_open(JukiInserter *ins, const char *relname);
extern void juki_inserter_insert(JukiInserter *ins, Datum *values, bool *nulls);
extern void juki_inserter_flush(JukiInserter *ins);
extern void juki_inserter_close(JukiInserter *ins);

#endif							/* JUKI_LOG_INSERTER_H */
