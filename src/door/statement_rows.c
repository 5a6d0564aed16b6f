/*-------------------------------------------------------------------------
 * statement_rows.c
 *		What the statement being run has disclosed so far: rows per purpose
 *		(volume.c's statement ceiling) and per bulk permit (a bulk permit
 *		serves the one statement that first used it: policy.c asks, volume.c
 *		counts).
 *
 * A statement is one run of a portal, known by the portal's creation time
 * (see volume.c).  Backend memory only, no locks: a statement runs in one
 * backend, and rolling back a subtransaction does not give rows back.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "tcop/pquery.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/timestamp.h"
#include "access/xact.h"

#include "statement_rows.h"

#define STATEMENTS			16	/* statements (cursors) remembered per backend */

typedef struct StmtState
{
	bool		used;
	TimestampTz key;
	uint64		last_use;
	List	   *counts;			/* JukiStatementRows, in TopMemoryContext */
} StmtState;

static StmtState statements[STATEMENTS];
static uint64 statement_tick = 0;
static StmtState *current = NULL;

/*
 * The statement being run: the active portal's creation time.  A cursor
 * keeps the time of the command that declared it, so fetching it a little
 * at a time is still one statement; several recent statements are
 * remembered so that fetches interleaved with other requests do too.
 */
static void
statement_sync(void)
{
	TimestampTz key = ActivePortal ? ActivePortal->creation_time
		: GetCurrentStatementStartTimestamp();
	StmtState  *victim = NULL;
	int			i;

	if (current != NULL && current->key == key)
	{
		current->last_use = ++statement_tick;
		return;
	}
	for (i = 0; i < STATEMENTS; i++)
	{
		StmtState  *s = &statements[i];

		if (s->used && s->key == key)
		{
			current = s;
			s->last_use = ++statement_tick;
			return;
		}
		if (victim == NULL || !s->used || (victim->used && s->last_use < victim->last_use))
			victim = s;
	}
	list_free_deep(victim->counts);
	victim->counts = NIL;
	victim->used = true;
	victim->key = key;
	victim->last_use = ++statement_tick;
	current = victim;
}

JukiStatementRows *
juki_statement_counter(const char *purpose, int64 permit_id, bool create)
{
	ListCell   *lc;
	JukiStatementRows *c;
	MemoryContext old;

	statement_sync();
	foreach(lc, current->counts)
	{
		c = lfirst(lc);
		if (permit_id > 0 ? c->permit_id == permit_id :
			(c->permit_id == 0 && strcmp(c->purpose, purpose) == 0))
			return c;
	}
	if (!create)
		return NULL;
	old = MemoryContextSwitchTo(TopMemoryContext);
	c = palloc0(sizeof(JukiStatementRows));
	if (purpose)
		strlcpy(c->purpose, purpose, sizeof(c->purpose));
	c->permit_id = permit_id;
	current->counts = lappend(current->counts, c);
	MemoryContextSwitchTo(old);
	return c;
}

int64
juki_statement_permit_rows(int64 permit_id)
{
	JukiStatementRows *c;

	c = juki_statement_counter(NULL, permit_id, false);
	return c ? c->rows : -1;
}
