/*-------------------------------------------------------------------------
 * internal.c
 *		juki's own SQL helpers (juki._log, _fail, _require_role, _has_role,
 *		_caller, _policy_changed, _card_key_type): the C half of the
 *		administrative PL/pgSQL functions of extension/parts/.
 *
 * They serve juki's PL/pgSQL functions only: each refuses to run unless
 * another function of the extension is below it on the stack (the guard
 * refuses and logs a direct call before it gets here), so nobody can write
 * arbitrary log entries through them.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/context.h"
#include "core/message.h"
#include "core/state.h"
#include "log/append.h"
#include "log/refusal.h"
#include "access/caller.h"
#include "door/card.h"

/* Another juki function must be below this one (see the file header). */
static void
require_internal(const char *fn)
{
	if (juki_door_depth() < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s is internal to juki", fn),
				 juki_errfield("direct_access"),
				 errdetail("reason: direct_access"),
				 errhint("Call juki's documented functions instead.")));
}

static List *
text_array_list(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *l = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			l = lappend(l, TextDatumGetCString(elems[i]));
	return l;
}

#define ARG_TEXT(n) (PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n)))
#define ARG_ID(n) (PG_ARGISNULL(n) ? JUKI_NO_ID : PG_GETARG_INT64(n))

PG_FUNCTION_INFO_V1(juki_internal_log);
PG_FUNCTION_INFO_V1(juki_internal_require_role);
PG_FUNCTION_INFO_V1(juki_internal_has_role);
PG_FUNCTION_INFO_V1(juki_internal_caller);
PG_FUNCTION_INFO_V1(juki_internal_policy_changed);
PG_FUNCTION_INFO_V1(juki_internal_card_key_type);
PG_FUNCTION_INFO_V1(juki_internal_fail);
PG_FUNCTION_INFO_V1(juki_internal_raise);

/*
 * juki._log(action, outcome, reason, purpose, operator_id, permit_id,
 *           subjects, detail, row_count): durable before it returns.
 */
Datum
juki_internal_log(PG_FUNCTION_ARGS)
{
	JukiAuditRecord r;

	require_internal("juki._log");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "juki._log needs an action and an outcome");
	juki_audit_record_init(&r, ARG_TEXT(0), ARG_TEXT(1), ARG_TEXT(2));
	r.purpose = ARG_TEXT(3);
	r.operator_id = ARG_ID(4);
	r.permit_id = ARG_ID(5);
	if (!PG_ARGISNULL(6))
		r.subjects = text_array_list(PG_GETARG_ARRAYTYPE_P(6));
	if (!PG_ARGISNULL(7))
		r.detail = juki_jsonb_canonical(PG_GETARG_JSONB_P(7));
	r.row_count = ARG_ID(8);
	juki_audit_log(&r);
	PG_RETURN_VOID();
}

/* juki._require_role(action, roles[]): real membership, no conflict; logged */
Datum
juki_internal_require_role(PG_FUNCTION_ARGS)
{
	List	   *roles;
	const char **arr;
	ListCell   *lc;
	int			i = 0;

	require_internal("juki._require_role");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "juki._require_role needs an action and roles");
	roles = text_array_list(PG_GETARG_ARRAYTYPE_P(1));
	arr = palloc0(sizeof(char *) * (list_length(roles) + 1));
	foreach(lc, roles)
		arr[i++] = lfirst(lc);
	{
		/* a refusal here is juki's own: without juki's PL/pgSQL frames */
		ErrorContextCallback *saved = error_context_stack;

		juki_no_context();
		juki_require_role(text_to_cstring(PG_GETARG_TEXT_PP(0)), arr);
		error_context_stack = saved;
	}
	PG_RETURN_VOID();
}

Datum
juki_internal_has_role(PG_FUNCTION_ARGS)
{
	require_internal("juki._has_role");
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(juki_caller_has_role(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/* the session's role, never a definer's */
Datum
juki_internal_caller(PG_FUNCTION_ARGS)
{
	char	   *name = juki_caller_name();

	require_internal("juki._caller");
	PG_RETURN_TEXT_P(cstring_to_text(name ? name : ""));
}

Datum
juki_internal_policy_changed(PG_FUNCTION_ARGS)
{
	require_internal("juki._policy_changed");
	juki_policy_changed();
	PG_RETURN_VOID();
}

/* juki._card_key_type(pem): 'ed25519', 'ecdsa_p256', 'rsa2048', or NULL + why */
Datum
juki_internal_card_key_type(PG_FUNCTION_ARGS)
{
	text	   *pem;
	char		err[256];
	const char *type;

	require_internal("juki._card_key_type");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	pem = PG_GETARG_TEXT_PP(0);
	type = juki_card_key_type(VARDATA_ANY(pem), VARSIZE_ANY_EXHDR(pem), err, sizeof(err));
	if (type == NULL)
		ereport(NOTICE, (errmsg("%s", err)));
	if (type == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(type));
}

/*
 * juki._fail(action, reason, sqlstate, message, hint): log the refusal
 * (durable) and raise it, the way every juki refusal ends.
 */
Datum
juki_internal_fail(PG_FUNCTION_ARGS)
{
	const char *action = ARG_TEXT(0);
	const char *reason = ARG_TEXT(1);
	const char *state = ARG_TEXT(2);
	const char *msg = ARG_TEXT(3);
	const char *hint = ARG_TEXT(4);

	require_internal("juki._fail");
	if (!action || !reason || !state || strlen(state) != 5 || !msg)
		elog(ERROR, "juki._fail needs action, reason, a 5-character SQLSTATE and a message");
	/* the refusal is juki's own: no CONTEXT lines of juki's PL/pgSQL */
	juki_no_context();
	/* authorization and authentication refusals are denials, bad input errors */
	juki_refuse_on_record(action, strncmp(state, "42", 2) == 0 || strncmp(state, "28", 2) == 0,
						  reason, MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4]),
						  msg, hint, ARG_ID(5), ARG_TEXT(6));
	PG_RETURN_VOID();
}

/*
 * juki._raise(sqlstate, reason, message, hint): raise a refusal that its
 * caller has already logged (with facts _fail cannot carry, such as the
 * residents concerned), in the reader's language, with the reason code in
 * DETAIL and constraint_name and no CONTEXT of juki's PL/pgSQL.
 */
Datum
juki_internal_raise(PG_FUNCTION_ARGS)
{
	const char *state = ARG_TEXT(0);
	const char *reason = ARG_TEXT(1);
	const char *msg = ARG_TEXT(2);
	const char *hint = ARG_TEXT(3);

	require_internal("juki._raise");
	if (!state || strlen(state) != 5 || !reason || !msg)
		elog(ERROR, "juki._raise needs a 5-character SQLSTATE, a reason and a message");
	juki_no_context();
	ereport(ERROR,
			(errcode(MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4])),
			 errmsg_internal("%s", juki_tr(msg)),
			 juki_errreason(reason),
			 hint ? errhint("%s", juki_tr(hint)) : 0));
	PG_RETURN_VOID();
}
