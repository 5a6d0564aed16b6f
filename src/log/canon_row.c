/*-------------------------------------------------------------------------
 * canon_row.c
 *		The canonical form of a stored row, written straight from its
 *		datums: what jk_canonical_entry (format/entry.c) writes for the
 *		JkEntry that juki_log_entry_from_slot would give, byte for byte,
 *		without copying each text into a C string first.  verify_log reads
 *		every entry of the log this way (issue 17).
 *
 * Kept equal to entry.c by construction (the same field table, the same
 * escaping and number functions) and by every verify_log of the test
 * suite: the stored hashes were computed by the writer through entry.c,
 * so a byte this file wrote differently fails the entry as edited.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "access/tupmacs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "format/json.h"
#include "format/timestamp.h"
#include "columns.h"
#include "jsonb_canon.h"
#include "record.h"
#include "scan.h"

/*
 * A text datum: in place unless compressed or stored out of line (what
 * DatumGetTextPP does, inline).  An out-of-line pointer has a 1-byte header
 * too, so "short" alone does not tell that it is in place.
 */
static inline void
put_text(JkBuf *out, Datum d)
{
	struct varlena *t = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_EXTERNAL(t) || VARATT_IS_COMPRESSED(t))
		t = pg_detoast_datum_packed(t);
	jk_json_string(out, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * As entry.c writes a text[] that juki_log_entry_from_slot read: every
 * element in storage order, a NULL element as "".  The elements are walked
 * in place, as deconstruct_array would, without copying them out.
 */
static void
put_text_array(JkBuf *out, Datum d)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	/* ARR_DATA_PTR, without its mixed-sign conditional */
	const char *p = (const char *) arr + (ARR_HASNULL(arr) ? (Size) arr->dataoffset :
										  (Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(arr)));
	const bits8 *bitmap = ARR_NULLBITMAP(arr);
	int			bit = 1;
	int			i;

	if (ARR_ELEMTYPE(arr) != TEXTOID)
		elog(ERROR, "juki.operation_log holds an array that is not of text");
	jk_buf_putc(out, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			jk_buf_putc(out, ',');
		if (bitmap && (*bitmap & bit) == 0)
			jk_json_string(out, "", 0);
		else
		{
			jk_json_string(out, VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
			p = att_addlength_pointer(p, -1, p);
			p = (const char *) att_align_nominal(p, TYPALIGN_INT);
		}
		if (bitmap && (bit <<= 1) == 0x100)
		{
			bitmap++;
			bit = 1;
		}
	}
	jk_buf_putc(out, ']');
}

static int64
int_value(TupleTableSlot *slot, int a, Oid type)
{
	return type == INT4OID ? DatumGetInt32(slot->tts_values[a]) :
		DatumGetInt64(slot->tts_values[a]);
}

bool
juki_log_row_canonical_direct(const JukiLogColumns *map, TupleTableSlot *slot, JkBuf *out,
							  size_t *detail_off, size_t *detail_len)
{
	char		ts[JK_TS_LEN + 1];
	int64		ts_us = 0;
	bool		first = true;
	int			i;

	*detail_off = *detail_len = 0;
	/* as entry_from_slot: a NULL time is the epoch */
	if (map->field_att[JK_F_TS] >= 0 && !slot->tts_isnull[map->field_att[JK_F_TS]])
		ts_us = DatumGetTimestampTz(slot->tts_values[map->field_att[JK_F_TS]]) +
			JUKI_UNIX_EPOCH_OFFSET_US;
	if (!jk_format_ts(ts_us, ts))
		return false;			/* nothing appended */

	jk_buf_putc(out, '{');
	for (i = 0; i < JK_NFIELDS; i++)
	{
		const JkField *f = &jk_fields[i];
		int			a = map->field_att[i];
		bool		isnull = a < 0 || slot->tts_isnull[a];

		/* a field added after 1.0 appears only with a value (entry.h) */
		if (f->added && isnull)
			continue;
		if (!first)
			jk_buf_putc(out, ',');
		first = false;
		jk_buf_append(out, f->key, f->key_len);
		if (f->id == JK_F_TS)
		{
			jk_json_string(out, ts, strlen(ts));
			continue;
		}
		if (f->id == JK_F_SEQ)
		{
			/* as entry_from_slot: a NULL seq is 0 */
			jk_buf_append_int64(out, isnull ? 0 : int_value(slot, a, map->field_type[i]));
			continue;
		}
		if (isnull)
		{
			jk_buf_append(out, "null", 4);
			continue;
		}
		switch (f->kind)
		{
			case JK_KIND_TEXT:
				put_text(out, slot->tts_values[a]);
				break;
			case JK_KIND_INT:
				jk_buf_append_int64(out, int_value(slot, a, map->field_type[i]));
				break;
			case JK_KIND_JSON:
				{
					size_t		start = out->len;

					Jsonb	   *jb = DatumGetJsonbP(slot->tts_values[a]);

					/* straight into out; a value it declines, through its text */
					if (!juki_jsonb_canonical_direct(jb, out))
					{
						jk_buf_truncate(out, start);
						jk_buf_append_str(out, juki_jsonb_canonical(jb));
					}
					if (f->id == JK_F_DETAIL)
					{
						*detail_off = start;
						*detail_len = out->len - start;
					}
				}
				break;
			case JK_KIND_TEXT_ARRAY:
				put_text_array(out, slot->tts_values[a]);
				break;
			case JK_KIND_TS:
				break;			/* above */
		}
	}
	jk_buf_putc(out, '}');
	return true;
}
