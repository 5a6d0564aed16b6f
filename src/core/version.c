/*-------------------------------------------------------------------------
 * version.c
 *		The library and the installed SQL must be the same version.
 *
 * A town upgrades in two steps: the package replaces juki.so (and the
 * server restarts), then a DBA runs ALTER EXTENSION juki UPDATE.  Between
 * the two, the library would run against tables and functions of an older
 * version.  juki fails closed there: every juki function except status(),
 * the pure validators and fold() refuses with reason
 * extension_update_pending (55000), and the refusal is logged (the audit
 * writer files into the older log table by column name).  The installed
 * version is read from pg_extension once per policy generation; ALTER
 * EXTENSION juki bumps the generation when it commits (guard/guard.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "settings.h"
#include "state.h"
#include "version.h"

/* written once, as default_version in juki.control; the Makefile passes it */
#ifndef JUKI_VERSION
#error "JUKI_VERSION must be defined by the build (see Makefile)"
#endif

static uint64 checked_generation = 0;
static char installed[NAMEDATALEN] = "";

/* extversion of extension juki in this database, or "" if not installed */
static void
read_installed(char *out, size_t outlen)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;

	out[0] = '\0';
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("juki"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			strlcpy(out, TextDatumGetCString(d), outlen);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

const char *
juki_installed_version(void)
{
	uint64		gen = juki_preloaded ? juki_policy_generation() : 0;

	if (!juki_preloaded || gen != checked_generation || installed[0] == '\0')
	{
		read_installed(installed, sizeof(installed));
		checked_generation = gen;
	}
	return installed;
}

bool
juki_sql_is_current(void)
{
	return strcmp(juki_installed_version(), JUKI_VERSION) == 0;
}
