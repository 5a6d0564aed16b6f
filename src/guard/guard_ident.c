/*-------------------------------------------------------------------------
 * guard_ident.c
 *		What the guard recognises of functions and languages, by identity
 *		rather than by name (issue 13, class 2; juki's extension, schema and
 *		relations are core/objects.c's):
 *	- juki's functions by extension membership (pg_depend); among them the
 *	  internal helpers (juki._*, refused unless another juki function is
 *	  below them) and the few that run whatever SQL version is installed,
 *	  by the names juki's own script gave its members;
 *	- forbidden functions by what they are: a built-in by its OID (F_* of
 *	  utils/fmgroids.h), a LANGUAGE internal alias by the built-in symbol it
 *	  binds (prosrc), a C function by its library (probin), a SQL-standard
 *	  body by what it calls, an aggregate by its support functions;
 *	- untrusted procedural languages by their handlers' C symbols and
 *	  libraries: a language is trusted only if every handler it has is one
 *	  of PL/pgSQL's, PL/Perl's (trusted) or PL/Tcl's (trusted).
 *
 * Everything is cached per backend (no shared memory, no locks) and
 * dropped on pg_proc, pg_namespace and pg_language invalidations (and around CREATE/ALTER/DROP EXTENSION);
 * renames change nothing here.  What pg_depend and pg_extension say is only
 * as trustworthy as the catalogs, which is why catalog DML is refused
 * (guard_catalog.c).
 *
 * Catalog access may process invalidations that drop the caches: values
 * are computed first and stored after, and a fill that raced with an
 * invalidation is done again.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "foreign/foreign.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "core/objects.h"
#include "guard_ident.h"

static HTAB *fn_cache = NULL;

static void
fn_cache_drop(void)
{
	if (fn_cache)
	{
		hash_destroy(fn_cache);
		fn_cache = NULL;
	}
}

/* juki's objects changed (extension, schema): the functions' identities may too */
static void
ident_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	fn_cache_drop();
}

void
juki_ident_reset(void)
{
	juki_objects_invalidate();
	fn_cache_drop();
}

/* ----------------------------------------------------------- functions */

typedef struct KnownFn
{
	Oid			oid;			/* the built-in's OID */
	const char *symbol;			/* its C symbol: what a LANGUAGE internal alias binds */
	JukiFnKind	kind;
} KnownFn;

static const KnownFn known_builtins[] = {
	{F_PG_READ_FILE_TEXT, "pg_read_file_all", JFK_RAW_READER},
	{F_PG_READ_FILE_TEXT_INT8_INT8, "pg_read_file_off_len", JFK_RAW_READER},
	{F_PG_READ_FILE_TEXT_INT8_INT8_BOOL, "pg_read_file_v2", JFK_RAW_READER},
	{F_PG_READ_FILE_OLD, "pg_read_file", JFK_RAW_READER},
	{F_PG_READ_BINARY_FILE_TEXT, "pg_read_binary_file_all", JFK_RAW_READER},
	{F_PG_READ_BINARY_FILE_TEXT_INT8_INT8, "pg_read_binary_file_off_len", JFK_RAW_READER},
	{F_PG_READ_BINARY_FILE_TEXT_INT8_INT8_BOOL, "pg_read_binary_file", JFK_RAW_READER},
	{F_LO_IMPORT_TEXT, "be_lo_import", JFK_RAW_READER},
	{F_LO_IMPORT_TEXT_OID, "be_lo_import_with_oid", JFK_RAW_READER},
	{F_LO_EXPORT, "be_lo_export", JFK_FILE_WRITER},
	{F_PG_CREATE_LOGICAL_REPLICATION_SLOT, "pg_create_logical_replication_slot", JFK_LOGICAL},
	{F_PG_LOGICAL_SLOT_GET_CHANGES, "pg_logical_slot_get_changes", JFK_LOGICAL},
	{F_PG_LOGICAL_SLOT_PEEK_CHANGES, "pg_logical_slot_peek_changes", JFK_LOGICAL},
	{F_PG_LOGICAL_SLOT_GET_BINARY_CHANGES, "pg_logical_slot_get_binary_changes", JFK_LOGICAL},
	{F_PG_LOGICAL_SLOT_PEEK_BINARY_CHANGES, "pg_logical_slot_peek_binary_changes", JFK_LOGICAL},
	{F_PG_COPY_LOGICAL_REPLICATION_SLOT_NAME_NAME_BOOL_NAME, "pg_copy_logical_replication_slot_a", JFK_LOGICAL},
	{F_PG_COPY_LOGICAL_REPLICATION_SLOT_NAME_NAME_BOOL, "pg_copy_logical_replication_slot_b", JFK_LOGICAL},
	{F_PG_COPY_LOGICAL_REPLICATION_SLOT_NAME_NAME, "pg_copy_logical_replication_slot_c", JFK_LOGICAL},
	{F_PG_REPLICATION_SLOT_ADVANCE, "pg_replication_slot_advance", JFK_LOGICAL},
};

/* C libraries whose every function reads raw pages or edits server files. */
static const struct
{
	const char *library;
	JukiFnKind	kind;
}			known_libraries[] = {
	{"pageinspect", JFK_RAW_READER},	/* raw pages of any relation */
	{"pg_surgery", JFK_RAW_READER}, /* edits heap tuples in place */
	{"adminpack", JFK_FILE_WRITER}, /* writes, renames, removes files */
};

/* The handlers of the trusted procedural languages PostgreSQL ships. */
static const struct
{
	const char *library;
	const char *symbol;
}			trusted_handlers[] = {
	{"plpgsql", "plpgsql_call_handler"}, {"plpgsql", "plpgsql_inline_handler"},
	{"plpgsql", "plpgsql_validator"},
	{"plperl", "plperl_call_handler"}, {"plperl", "plperl_inline_handler"},
	{"plperl", "plperl_validator"},
	{"pltcl", "pltcl_call_handler"},
};

typedef struct FnEntry
{
	Oid			fn;
	JukiFnKind	kind;
	bool		is_juki;
	bool		any_version;	/* callable while the SQL awaits its update */
	bool		internal;		/* an internal helper: juki._* */
	bool		event_trigger;
	bool		user_code;		/* SQL or a procedural language, not juki's */
	bool		set_config;		/* set_config() or an alias of it */
} FnEntry;

/*
 * juki functions that work whatever the installed SQL version (version.c):
 * the status a DBA checks first, the pure validators and domain checks, and
 * fold(), which index expressions call from VACUUM, ANALYZE and REINDEX.
 */
static const char *const any_version_functions[] = {
	"status", "fold", "is_valid_resident_code", "is_valid_individual_number",
	"is_valid_municipality_code", "check_resident_code", "check_individual_number",
	"check_municipality_code", NULL
};

static int	classify_depth = 0;	/* bodies calling bodies */

static FnEntry *fn_entry(Oid fn);

/* "$libdir/pageinspect", "/x/y/pageinspect.so" -> "pageinspect" */
static char *
library_name(const char *probin)
{
	const char *base = last_dir_separator(probin);
	char	   *name = pstrdup(base ? base + 1 : probin);
	size_t		len = strlen(name);
	size_t		slen = strlen(DLSUFFIX);

	if (len > slen && strcmp(name + len - slen, DLSUFFIX) == 0)
		name[len - slen] = '\0';
	return name;
}

static JukiFnKind
worse(JukiFnKind a, JukiFnKind b)
{
	return a > b ? a : b;
}

static JukiFnKind
builtin_kind(Oid fn)
{
	size_t		i;

	for (i = 0; i < lengthof(known_builtins); i++)
		if (known_builtins[i].oid == fn)
			return known_builtins[i].kind;
	return JFK_OK;
}

static JukiFnKind
symbol_kind(const char *symbol)
{
	size_t		i;

	for (i = 0; i < lengthof(known_builtins); i++)
		if (strcmp(known_builtins[i].symbol, symbol) == 0)
			return known_builtins[i].kind;
	return JFK_OK;
}

static bool
body_call(Oid fn, void *context)
{
	*(JukiFnKind *) context = worse(*(JukiFnKind *) context, fn_entry(fn)->kind);
	return false;
}

/* The worst kind of any function a stored body calls. */
static bool
body_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	(void) check_functions_in_node(node, body_call, context);
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, body_walker, context, 0);
	return expression_tree_walker(node, body_walker, context);
}

/* An aggregate is what its support functions are. */
static JukiFnKind
aggregate_kind(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(fn));
	Oid			support[8];
	JukiFnKind	kind = JFK_OK;
	int			i;

	if (!HeapTupleIsValid(tup))
		return JFK_OK;
	{
		Form_pg_aggregate a = (Form_pg_aggregate) GETSTRUCT(tup);

		support[0] = a->aggtransfn;
		support[1] = a->aggfinalfn;
		support[2] = a->aggcombinefn;
		support[3] = a->aggserialfn;
		support[4] = a->aggdeserialfn;
		support[5] = a->aggmtransfn;
		support[6] = a->aggminvtransfn;
		support[7] = a->aggmfinalfn;
	}
	ReleaseSysCache(tup);
	for (i = 0; i < (int) lengthof(support); i++)
		if (OidIsValid(support[i]))
			kind = worse(kind, fn_entry(support[i])->kind);
	return kind;
}

/* Is fn a handler of a trusted language PostgreSQL ships? */
static bool
trusted_handler(Oid fn)
{
	HeapTuple	tup;
	bool		ok = false;

	if (!OidIsValid(fn))
		return false;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		return false;
	if (((Form_pg_proc) GETSTRUCT(tup))->prolang == ClanguageId)
	{
		bool		isnull;
		Datum		bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
		Datum		src;
		char	   *probin;
		char	   *prosrc;
		size_t		i;

		if (!isnull)
		{
			probin = TextDatumGetCString(bin);
			src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
			prosrc = isnull ? "" : TextDatumGetCString(src);
			/* the shipped library itself, not a copy elsewhere */
			for (i = 0; i < lengthof(trusted_handlers) && !ok; i++)
				ok = strncmp(probin, "$libdir/", 8) == 0 &&
					strcmp(probin + 8, trusted_handlers[i].library) == 0 &&
					strcmp(prosrc, trusted_handlers[i].symbol) == 0;
		}
	}
	ReleaseSysCache(tup);
	return ok;
}

/*
 * An untrusted procedural language: one PostgreSQL does not mark trusted,
 * or whose call, inline or validator handler is not a trusted language's
 * (CREATE TRUSTED LANGUAGE x HANDLER plperlu_call_handler is untrusted).
 */
bool
juki_language_untrusted(Oid lang)
{
	HeapTuple	tup;
	Form_pg_language l;
	bool		trusted;
	bool		ispl;
	Oid			call;
	Oid			inl;
	Oid			val;

	if (lang == INTERNALlanguageId || lang == ClanguageId || lang == SQLlanguageId)
		return false;
	tup = SearchSysCache1(LANGOID, ObjectIdGetDatum(lang));
	if (!HeapTupleIsValid(tup))
		return true;
	l = (Form_pg_language) GETSTRUCT(tup);
	trusted = l->lanpltrusted;
	ispl = l->lanispl;
	call = l->lanplcallfoid;
	inl = l->laninline;
	val = l->lanvalidator;
	ReleaseSysCache(tup);
	if (!ispl)
		return !trusted;
	return !trusted || !trusted_handler(call) ||
		(OidIsValid(inl) && !trusted_handler(inl)) ||
		(OidIsValid(val) && !trusted_handler(val));
}

/* The same judgement of a language CREATE LANGUAGE is about to make. */
bool
juki_new_language_untrusted(CreatePLangStmt *s)
{
	Oid			internal_arg[1] = {INTERNALOID};
	Oid			oid_arg[1] = {OIDOID};
	Oid			call = LookupFuncName(s->plhandler, 0, NULL, true);

	return !s->pltrusted || !trusted_handler(call) ||
		(s->plinline && !trusted_handler(LookupFuncName(s->plinline, 1, internal_arg, true))) ||
		(s->plvalidator && !trusted_handler(LookupFuncName(s->plvalidator, 1, oid_arg, true)));
}

/* Is the foreign-data wrapper file_fdw, by its handler's library? */
bool
juki_fdw_is_file_fdw(Oid fdwid)
{
	ForeignDataWrapper *fdw = GetForeignDataWrapper(fdwid);
	HeapTuple	tup;
	bool		is_file = false;

	if (!OidIsValid(fdw->fdwhandler))
		return false;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fdw->fdwhandler));
	if (!HeapTupleIsValid(tup))
		return false;
	if (((Form_pg_proc) GETSTRUCT(tup))->prolang == ClanguageId)
	{
		bool		isnull;
		Datum		bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);

		is_file = !isnull && strcmp(library_name(TextDatumGetCString(bin)), "file_fdw") == 0;
	}
	ReleaseSysCache(tup);
	return is_file;
}

static void
classify(Oid fn, FnEntry *e)
{
	HeapTuple	tup;
	Form_pg_proc p;
	Oid			lang;
	char		prokind;
	bool		juki_library = false;
	char	   *proname;
	Oid			ext;

	memset(e, 0, sizeof(*e));
	e->fn = fn;
	if (fn < FirstGenbkiObjectId)
	{
		/* a built-in is what its OID is: fmgr calls it by OID */
		e->kind = builtin_kind(fn);
		e->set_config = fn == F_SET_CONFIG;
		return;
	}
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		return;
	p = (Form_pg_proc) GETSTRUCT(tup);
	lang = p->prolang;
	prokind = p->prokind;
	proname = pstrdup(NameStr(p->proname));
	e->event_trigger = p->prorettype == EVENT_TRIGGEROID;
	if (lang == INTERNALlanguageId)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
		char	   *prosrc = isnull ? "" : TextDatumGetCString(src);

		/* fmgr binds an internal function by its symbol */
		e->kind = symbol_kind(prosrc);
		e->set_config = strcmp(prosrc, "set_config_by_name") == 0;
	}
	else if (lang == ClanguageId)
	{
		bool		isnull;
		Datum		bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
		char	   *library = isnull ? "" : library_name(TextDatumGetCString(bin));
		size_t		i;

		for (i = 0; i < lengthof(known_libraries); i++)
			if (strcmp(library, known_libraries[i].library) == 0)
				e->kind = known_libraries[i].kind;
		juki_library = strcmp(library, "juki") == 0;
	}
	else if (lang == SQLlanguageId)
	{
		/*
		 * A SQL-standard body (BEGIN ATOMIC) is stored analysed and may be
		 * inlined into the caller's plan: judge the function by its body.
		 */
		bool		isnull;
		Datum		body = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull);

		if (!isnull)
			(void) body_walker(stringToNode(TextDatumGetCString(body)), &e->kind);
	}
	ReleaseSysCache(tup);

	if (lang != INTERNALlanguageId && lang != ClanguageId && lang != SQLlanguageId &&
		juki_language_untrusted(lang))
		e->kind = JFK_UNTRUSTED;
	if (prokind == PROKIND_AGGREGATE)
		e->kind = worse(e->kind, aggregate_kind(fn));

	ext = getExtensionOfObject(ProcedureRelationId, fn);
	e->is_juki = OidIsValid(ext) && ext == juki_extension_oid();
	if (juki_library && !e->is_juki)
		e->kind = worse(e->kind, JFK_JUKI_ALIAS);
	e->user_code = !e->is_juki && lang != INTERNALlanguageId && lang != ClanguageId;
	if (e->is_juki)
	{
		const char *const *v;

		for (v = any_version_functions; *v; v++)
			if (strcmp(*v, proname) == 0)
				e->any_version = true;

		/*
		 * juki's internal helpers are the members its own script named with
		 * a leading "_": a member, by pg_depend (the identity above), under
		 * the name juki gave it, which nobody can change while juki is
		 * loaded (renames of juki's functions and catalog DML are refused).
		 */
		e->internal = proname[0] == '_';
	}
}

static FnEntry *
fn_entry(Oid fn)
{
	static FnEntry unknown;
	FnEntry		computed;
	FnEntry    *e;

	if (fn_cache != NULL &&
		(e = hash_search(fn_cache, &fn, HASH_FIND, NULL)) != NULL)
		return e;
	if (classify_depth >= 8)
	{
		/* bodies calling bodies this deep: the executor hook still sees each call */
		memset(&unknown, 0, sizeof(unknown));
		unknown.fn = fn;
		return &unknown;
	}
	classify_depth++;
	PG_TRY();
	{
		classify(fn, &computed);
	}
	PG_FINALLY();
	{
		classify_depth--;
	}
	PG_END_TRY();
	if (fn_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(FnEntry);
		fn_cache = hash_create("juki function identities", 256, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	e = hash_search(fn_cache, &fn, HASH_ENTER, NULL);
	*e = computed;
	return e;
}

JukiFnKind
juki_fn_kind(Oid fn)
{
	if (fn < FirstGenbkiObjectId)
		return builtin_kind(fn);	/* the hot path: no hash, no catalog */
	return fn_entry(fn)->kind;
}

const char *
juki_fn_kind_command(JukiFnKind kind)
{
	switch (kind)
	{
		case JFK_LOGICAL:
			return gettext_noop("logical decoding");
		case JFK_RAW_READER:
			return gettext_noop("raw file or page reader");
		case JFK_FILE_WRITER:
			return gettext_noop("server-side file writer");
		case JFK_UNTRUSTED:
			return gettext_noop("untrusted language function");
		case JFK_JUKI_ALIAS:
			return gettext_noop("juki's library outside extension juki");
		case JFK_OK:
			break;
	}
	return "function";
}

void
juki_fn_info(Oid fn, JukiFnInfo *info)
{
	FnEntry    *e;

	memset(info, 0, sizeof(*info));
	if (fn < FirstNormalObjectId)
	{
		info->kind = juki_fn_kind(fn);
		info->any_version = true;
		info->set_config = fn == F_SET_CONFIG;
		return;
	}
	e = fn_entry(fn);
	info->kind = e->kind;
	info->is_juki = e->is_juki;
	info->any_version = !e->is_juki || e->any_version;
	info->internal = e->internal;
	info->event_trigger = e->event_trigger;
	info->user_code = e->user_code;
	info->set_config = e->set_config;
}

bool
juki_fn_is_juki(Oid fn)
{
	return fn >= FirstNormalObjectId && fn_entry(fn)->is_juki;
}

bool
juki_fn_is_set_config(Oid fn)
{
	if (fn < FirstGenbkiObjectId)
		return fn == F_SET_CONFIG;
	return fn_entry(fn)->set_config;
}

void
juki_guard_ident_install(void)
{
	CacheRegisterSyscacheCallback(NAMESPACEOID, ident_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, ident_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(LANGOID, ident_invalidate, (Datum) 0);
}
