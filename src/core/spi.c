/*-------------------------------------------------------------------------
 * spi.c
 *		juki's own fixed SQL, run through SPI as the owner of schema juki
 *		with search_path = pg_catalog, pg_temp, so that no object of the
 *		caller's can be picked up instead of pg_catalog's, and never in
 *		parallel workers (they are outside the door: guard/guard.c).
 *		Backend-local; no shared memory.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "objects.h"
#include "spi.h"

static Oid
schema_owner(void)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(juki_namespace()));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "schema juki does not exist");
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/* An ERROR in between is cleaned up by (sub)transaction abort. */
void
juki_spi_begin(JukiSpi *st)
{
	GetUserIdAndSecContext(&st->save_user, &st->save_sec);
	SetUserIdAndSecContext(schema_owner(), st->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	st->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/* parallel workers are outside the door (guard/guard.c): keep juki's queries in-process */
	(void) set_config_option("max_parallel_workers_per_gather", "0", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
juki_spi_end(JukiSpi *st)
{
	SPI_finish();
	AtEOXact_GUC(true, st->guc_level);
	SetUserIdAndSecContext(st->save_user, st->save_sec);
}
