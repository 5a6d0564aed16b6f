/*-------------------------------------------------------------------------
 * pgcrypto_fn.c
 *		pgcrypto's crypt() and gen_salt(), recognised by what they are.
 *
 * juki hashes and checks passwords with pgcrypto inside its door, as the
 * extension's owner.  A function found by name in pgcrypto's schema could
 * be anything a superuser put there (CREATE OR REPLACE FUNCTION crypt(text,
 * text) ... LANGUAGE plpgsql ran as juki's owner on every login, and a body
 * "SELECT $2" accepted any password).  So juki calls only a function that
 * belongs to extension pgcrypto (pg_depend), is LANGUAGE C, and is the
 * expected symbol of $libdir/pgcrypto; it calls it directly through fmgr,
 * with no SQL, search_path, operator or cast in between.  Anything else is
 * refused (55000, reason pgcrypto_untrusted), and the refusal is logged.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/syscache.h"

#include "log/append.h"
#include "core/context.h"
#include "pgcrypto_fn.h"
#include "core/message.h"

PG_FUNCTION_INFO_V1(juki_internal_bcrypt);

static void
untrusted(const char *action, const char *reason, const char *msg, const char *hint)
{
	JukiAuditRecord r;
	JukiDetail	d;

	juki_audit_record_init(&r, action, JUKI_ERROR, reason);
	jd_init(&d);
	jd_str(&d, "message", msg);
	r.detail = jd_finish(&d);
	juki_audit_log(&r);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg_internal("%s", juki_tr(msg)),
			 juki_errreason(reason),
			 errhint("%s", juki_tr(hint))));
}

/* Does proc tuple tup say LANGUAGE C, $libdir/pgcrypto, symbol? */
static bool
is_pgcrypto_c(HeapTuple tup, const char *symbol)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
	bool		isnull;
	Datum		bin;
	Datum		src;

	if (p->prolang != ClanguageId)
		return false;
	bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
	if (isnull || strcmp(TextDatumGetCString(bin), "$libdir/pgcrypto") != 0)
		return false;
	src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
	return !isnull && strcmp(TextDatumGetCString(src), symbol) == 0;
}

/*
 * The function of extension pgcrypto named name with nargs text arguments,
 * if it is pgcrypto's C function symbol; refused (and logged) otherwise.
 */
static Oid
pgcrypto_function(const char *action, const char *name, int nargs, const char *symbol)
{
	Oid			ext = get_extension_oid("pgcrypto", true);
	CatCList   *list;
	Oid			found = InvalidOid;
	bool		bad = false;
	int			i;

	if (!OidIsValid(ext))
		untrusted(action, "pgcrypto_missing", "juki needs the pgcrypto extension for passwords",
				  "CREATE EXTENSION pgcrypto;");
	list = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(name));
	for (i = 0; i < list->n_members; i++)
	{
		HeapTuple	tup = &list->members[i]->tuple;
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
		int			a;

		if (p->pronargs != nargs || getExtensionOfObject(ProcedureRelationId, p->oid) != ext)
			continue;
		for (a = 0; a < nargs; a++)
			if (p->proargtypes.values[a] != TEXTOID)
				break;
		if (a < nargs)
			continue;
		if (is_pgcrypto_c(tup, symbol))
			found = p->oid;
		else
			bad = true;
	}
	ReleaseSysCacheList(list);
	if (bad || !OidIsValid(found))
		untrusted(action, "pgcrypto_untrusted",
				  psprintf("pgcrypto's %s() is not pgcrypto's own C function, so juki does not run it", name),
				  "Restore pgcrypto's own functions, and find out who replaced them.");
	return found;
}

char *
juki_pgcrypto_crypt(const char *action, const char *password, const char *salt)
{
	Oid			fn = pgcrypto_function(action, "crypt", 2, "pg_crypt");

	return TextDatumGetCString(OidFunctionCall2(fn, CStringGetTextDatum(password),
												CStringGetTextDatum(salt)));
}

char *
juki_pgcrypto_gen_salt(const char *action, const char *type)
{
	Oid			fn = pgcrypto_function(action, "gen_salt", 1, "pg_gen_salt");

	return TextDatumGetCString(OidFunctionCall1(fn, CStringGetTextDatum(type)));
}

/* juki._bcrypt(password): crypt(password, gen_salt('bf')) for set_password */
Datum
juki_internal_bcrypt(PG_FUNCTION_ARGS)
{
	char	   *pw;

	if (juki_door_depth() < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("juki._bcrypt is internal to juki"),
				 juki_errfield("direct_access"),
				 errdetail("reason: direct_access"),
				 errhint("Call juki's documented functions instead.")));
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	pw = text_to_cstring(PG_GETARG_TEXT_PP(0));
	PG_RETURN_TEXT_P(cstring_to_text(juki_pgcrypto_crypt("set_password", pw,
														 juki_pgcrypto_gen_salt("set_password", "bf"))));
}
