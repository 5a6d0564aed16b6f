/*-------------------------------------------------------------------------
 * columns.c
 *		juki.operation_log's columns by name, and rows <-> JkEntry.
 *
 * Positions are never assumed: a library newer than the installed SQL
 * (ALTER EXTENSION juki UPDATE not yet run) writes into the 1.0 table, and
 * the chain's format lets a field added after 1.0 be absent (format/entry.h), so
 * a field without a column is simply not stored and not hashed.  The
 * writer and every reader use the same map, so what is hashed is exactly
 * what the table can give back.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "record.h"
#include "columns.h"

#define UNIX_EPOCH_OFFSET_US \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/* The column types each kind of field may have. */
static bool
type_fits(JkFieldKind kind, Oid type)
{
	switch (kind)
	{
		case JK_KIND_TEXT:
			return type == TEXTOID;
		case JK_KIND_INT:
			return type == INT8OID || type == INT4OID;
		case JK_KIND_JSON:
			return type == JSONBOID;
		case JK_KIND_TEXT_ARRAY:
			return type == TEXTARRAYOID;
		case JK_KIND_TS:
			return type == TIMESTAMPTZOID;
	}
	return false;
}

void
juki_log_columns_map(TupleDesc desc, JukiLogColumns *map)
{
	int			i;

	map->natts = desc->natts;
	map->prev_hash_att = -1;
	map->hash_att = -1;
	for (i = 0; i < JK_NFIELDS; i++)
		map->field_att[i] = -1;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		const JkField *f;

		if (att->attisdropped)
			continue;
		if (strcmp(name, "prev_hash") == 0 || strcmp(name, "hash") == 0)
		{
			if (att->atttypid != BYTEAOID)
				elog(ERROR, "juki.operation_log column \"%s\" is not bytea", name);
			if (name[0] == 'p')
				map->prev_hash_att = i;
			else
				map->hash_att = i;
			continue;
		}
		f = jk_field_by_name(name, strlen(name));
		if (f == NULL)
			continue;			/* unknown to this library: left NULL, not hashed */
		if (!type_fits(f->kind, att->atttypid))
			elog(ERROR, "juki.operation_log column \"%s\" has an unexpected type", name);
		map->field_att[f->id] = i;
		map->field_type[f->id] = att->atttypid;
	}
	if (map->prev_hash_att < 0 || map->hash_att < 0)
		elog(ERROR, "juki.operation_log has no prev_hash or hash column");
	for (i = 0; i < JK_NFIELDS; i++)
		if (map->field_att[i] < 0 && !jk_fields[i].added)
			elog(ERROR, "juki.operation_log has no column \"%s\" (a field of format 1.0)",
				 jk_fields[i].name);
}

void
juki_log_columns_restrict(const JukiLogColumns *map, JkEntry *e)
{
	int			i;

	for (i = 0; i < JK_NFIELDS; i++)
	{
		if (map->field_att[i] >= 0)
			continue;
		/* only fields added after 1.0 can lack a column (checked by the map) */
		switch ((JkFieldId) i)
		{
			case JK_F_LOGIN_ROLE:
				e->login_role = NULL;
				break;
			case JK_F_TERMINAL:
				e->terminal = NULL;
				break;
			default:
				elog(ERROR, "juki.operation_log lacks column \"%s\"", jk_fields[i].name);
		}
	}
}

static Datum
text_array(int n, const char *const *items)
{
	Datum	   *d;
	int			i;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	d = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
bytea_datum(const uint8 *data, int len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), data, len);
	return PointerGetDatum(b);
}

static void
put_text(Datum *v, bool *n, const char *s)
{
	if (s)
		*v = CStringGetTextDatum(s);
	else
		*n = true;
}

static void
put_int(Datum *v, bool *n, Oid type, bool has, int64 val)
{
	if (!has)
		*n = true;
	else if (type == INT4OID)
		*v = Int32GetDatum((int32) val);
	else
		*v = Int64GetDatum(val);
}

static void
put_json(Datum *v, bool *n, const char *json)
{
	if (json)
		*v = DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
	else
		*n = true;
}

static void
put_array(Datum *v, bool *n, bool isnull, int count, const char *const *items)
{
	if (isnull)
		*n = true;
	else
		*v = text_array(count, items);
}

void
juki_log_entry_values(const JukiLogColumns *map, const JkEntry *e,
					  const uint8 *prev_hash, const uint8 *hash,
					  Datum *values, bool *nulls)
{
	int			i;

	memset(values, 0, sizeof(Datum) * map->natts);
	/* columns unknown to this library stay NULL */
	memset(nulls, true, sizeof(bool) * map->natts);
	for (i = 0; i < JK_NFIELDS; i++)
	{
		int			a = map->field_att[i];
		Oid			t = map->field_type[i];
		Datum	   *v;
		bool	   *n;

		if (a < 0)
			continue;
		v = &values[a];
		n = &nulls[a];
		*n = false;
		switch ((JkFieldId) i)
		{
			case JK_F_ACTION:
				put_text(v, n, e->action);
				break;
			case JK_F_BACKEND_PID:
				put_int(v, n, t, e->has_backend_pid, e->backend_pid);
				break;
			case JK_F_CARD_SERIAL:
				put_text(v, n, e->card_serial);
				break;
			case JK_F_CLIENT_ADDR:
				put_text(v, n, e->client_addr);
				break;
			case JK_F_CRITERIA:
				put_json(v, n, e->criteria);
				break;
			case JK_F_DB_ROLE:
				put_text(v, n, e->db_role);
				break;
			case JK_F_DETAIL:
				put_json(v, n, e->detail);
				break;
			case JK_F_FIELDS:
				put_array(v, n, e->fields_null, e->nfields, e->fields);
				break;
			case JK_F_LOGIN_ROLE:
				put_text(v, n, e->login_role);
				break;
			case JK_F_TERMINAL:
				put_text(v, n, e->terminal);
				break;
			case JK_F_OPERATOR_ID:
				put_int(v, n, t, e->has_operator_id, e->operator_id);
				break;
			case JK_F_OUTCOME:
				put_text(v, n, e->outcome);
				break;
			case JK_F_PERMIT_ID:
				put_int(v, n, t, e->has_permit_id, e->permit_id);
				break;
			case JK_F_PURPOSE:
				put_text(v, n, e->purpose);
				break;
			case JK_F_REASON:
				put_text(v, n, e->reason);
				break;
			case JK_F_ROW_COUNT:
				put_int(v, n, t, e->has_row_count, e->row_count);
				break;
			case JK_F_SEQ:
				put_int(v, n, t, true, e->seq);
				break;
			case JK_F_SESSION_ID:
				put_int(v, n, t, e->has_session_id, e->session_id);
				break;
			case JK_F_SUBJECTS:
				put_array(v, n, e->subjects_null, e->nsubjects, e->subjects);
				break;
			case JK_F_TS:
				*v = TimestampTzGetDatum(e->ts_unix_us - UNIX_EPOCH_OFFSET_US);
				break;
			case JK_NFIELDS:
				break;
		}
	}
	values[map->prev_hash_att] = bytea_datum(prev_hash, JK_HASH_LEN);
	nulls[map->prev_hash_att] = false;
	values[map->hash_att] = bytea_datum(hash, JK_HASH_LEN);
	nulls[map->hash_att] = false;
}

/* ------------------------------------------------------------- reading */

static const char *
get_text(TupleTableSlot *slot, int a)
{
	return slot->tts_isnull[a] ? NULL : TextDatumGetCString(slot->tts_values[a]);
}

static void
get_int(TupleTableSlot *slot, int a, Oid type, bool *has, int64_t *v)
{
	*has = !slot->tts_isnull[a];
	if (*has)
		*v = type == INT4OID ? DatumGetInt32(slot->tts_values[a]) :
			DatumGetInt64(slot->tts_values[a]);
}

static const char *
get_json(TupleTableSlot *slot, int a)
{
	return slot->tts_isnull[a] ? NULL :
		juki_jsonb_canonical(DatumGetJsonbP(slot->tts_values[a]));
}

static const char *const *
get_array(TupleTableSlot *slot, int a, int *n, bool *isnull)
{
	Datum	   *elems;
	bool	   *nulls;
	const char **items;
	int			i;

	*isnull = slot->tts_isnull[a];
	*n = 0;
	if (*isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypeP(slot->tts_values[a]), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, n);
	items = palloc(sizeof(char *) * Max(*n, 1));
	for (i = 0; i < *n; i++)
		items[i] = nulls[i] ? "" : TextDatumGetCString(elems[i]);
	return items;
}

bool
juki_log_hash_att(TupleTableSlot *slot, int att, uint8 *out)
{
	bytea	   *b;

	if (slot->tts_isnull[att])
		return false;
	b = DatumGetByteaPP(slot->tts_values[att]);
	if (VARSIZE_ANY_EXHDR(b) != JK_HASH_LEN)
		return false;
	memcpy(out, VARDATA_ANY(b), JK_HASH_LEN);
	return true;
}

bool
juki_log_entry_from_slot(const JukiLogColumns *map, TupleTableSlot *slot,
						 JkEntry *e, uint8 *prev_hash, uint8 *hash)
{
	int			i;
	bool		has = false;
	int64_t		v = 0;
	bool		prev_ok;
	bool		hash_ok;

	memset(e, 0, sizeof(*e));
	e->subjects_null = true;
	e->fields_null = true;
	for (i = 0; i < JK_NFIELDS; i++)
	{
		int			a = map->field_att[i];
		Oid			t = map->field_type[i];

		if (a < 0)
			continue;
		switch ((JkFieldId) i)
		{
			case JK_F_ACTION:
				e->action = get_text(slot, a);
				break;
			case JK_F_BACKEND_PID:
				get_int(slot, a, t, &e->has_backend_pid, &e->backend_pid);
				break;
			case JK_F_CARD_SERIAL:
				e->card_serial = get_text(slot, a);
				break;
			case JK_F_CLIENT_ADDR:
				e->client_addr = get_text(slot, a);
				break;
			case JK_F_CRITERIA:
				e->criteria = get_json(slot, a);
				break;
			case JK_F_DB_ROLE:
				e->db_role = get_text(slot, a);
				break;
			case JK_F_DETAIL:
				e->detail = get_json(slot, a);
				break;
			case JK_F_FIELDS:
				e->fields = get_array(slot, a, &e->nfields, &e->fields_null);
				break;
			case JK_F_LOGIN_ROLE:
				e->login_role = get_text(slot, a);
				break;
			case JK_F_TERMINAL:
				e->terminal = get_text(slot, a);
				break;
			case JK_F_OPERATOR_ID:
				get_int(slot, a, t, &e->has_operator_id, &e->operator_id);
				break;
			case JK_F_OUTCOME:
				e->outcome = get_text(slot, a);
				break;
			case JK_F_PERMIT_ID:
				get_int(slot, a, t, &e->has_permit_id, &e->permit_id);
				break;
			case JK_F_PURPOSE:
				e->purpose = get_text(slot, a);
				break;
			case JK_F_REASON:
				e->reason = get_text(slot, a);
				break;
			case JK_F_ROW_COUNT:
				get_int(slot, a, t, &e->has_row_count, &e->row_count);
				break;
			case JK_F_SEQ:
				get_int(slot, a, t, &has, &v);
				e->seq = v;
				break;
			case JK_F_SESSION_ID:
				get_int(slot, a, t, &e->has_session_id, &e->session_id);
				break;
			case JK_F_SUBJECTS:
				e->subjects = get_array(slot, a, &e->nsubjects, &e->subjects_null);
				break;
			case JK_F_TS:
				if (!slot->tts_isnull[a])
					e->ts_unix_us = DatumGetTimestampTz(slot->tts_values[a]) + UNIX_EPOCH_OFFSET_US;
				break;
			case JK_NFIELDS:
				break;
		}
	}
	prev_ok = juki_log_hash_att(slot, map->prev_hash_att, prev_hash);
	hash_ok = juki_log_hash_att(slot, map->hash_att, hash);
	return prev_ok && hash_ok;
}
