/*-------------------------------------------------------------------------
 * verify_tree.c
 *		verify_log's Merkle tree: rebuilt from the entries with the
 *		writer's own builder (log/tiles.c), in the pass that recomputes the
 *		chain, and held against what is stored (issue 17):
 *		- every full tile the stored tree holds must be the rebuilt one (a
 *		  tile rewritten, or entries edited, deleted or reordered under it);
 *		- the tiles must not cover more entries than the log has (a
 *		  truncated log), and the entries after the last one must be the
 *		  first hashes of the tile it cuts;
 *		- every stored checkpoint note must be signed by a known key and
 *		  name the root the entries give at its size (a log rewritten with
 *		  a recomputed chain and tree is caught by an earlier note, if that
 *		  note was kept where the server cannot reach: a witness, a file).
 *
 * The stored size is read first; the scan sees at least as much, and
 * tiles are compared up to that size only.  Only full tiles are stored
 * (log/tiles.c): the right edge is what the entries give, so a truncation
 * inside the last partial tile shows only against a signed note.  Caller
 * connected to SPI (core/spi.h).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"

#include "core/settings.h"
#include "format/hash.h"
#include "format/note.h"
#include "log/tiles.h"
#include "verify_tree.h"

typedef struct VNote
{
	int64		size;
	int64		seq;
	uint8		root[JUKI_HASH_LEN];
} VNote;

/* level-0 tiles read ahead: one index scan per this many tiles, not per tile */
#define TILES_AHEAD		32

struct JukiVTree
{
	JukiTreeBuilder b;
	uint8	   *ahead;			/* level-0 tiles ahead_first .. + ahead_got - 1 */
	uint64		ahead_first;
	uint64		ahead_got;
	int64		stored;			/* tree size */
	int64		tiled;			/* entries under the stored full level-0 tiles */
	List	   *notes;			/* VNote, by size */
	ListCell   *next_note;
	juki_vtree_fail_fn fail;
	void	   *arg;
};

static int
note_cmp(const ListCell *a, const ListCell *b)
{
	int64		x = ((VNote *) lfirst(a))->size;
	int64		y = ((VNote *) lfirst(b))->size;

	return x < y ? -1 : x > y;
}

/*
 * The witnesses' cosignatures stored for a note: each must verify under a
 * key of juki.witness_keys (a line no configured witness signed is a
 * finding: forged, or the key is not configured).
 */
static void
check_cosignatures(JukiVTree *t, int64 seq, const char *note, int64 size)
{
	JukiNoteKey keys[JUKI_MAX_WITNESS_KEYS];
	int			nkeys = juki_witness_keys_get(keys, JUKI_MAX_WITNESS_KEYS);
	Oid			types[1] = {INT8OID};
	Datum		v[1];
	uint64		i;
	SPITupleTable *tt;
	uint64		n;

	v[0] = Int64GetDatum(size);
	if (SPI_execute_with_args("SELECT witness, line FROM juki.checkpoint_cosignature WHERE tree_size = $1",
							  1, types, v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.checkpoint_cosignature");
	tt = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		char	   *witness = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
		char	   *line = SPI_getvalue(tt->vals[i], tt->tupdesc, 2);
		char	   *full = psprintf("%s%s", note, line);
		bool		witnessed[JUKI_MAX_WITNESS_KEYS] = {false};
		char		err[256];
		bool		ok = false;
		int			k;

		if (nkeys > 0 &&
			juki_note_open(full, strlen(full), keys, nkeys, palloc(sizeof(JukiNote)), witnessed,
						   NULL, err, sizeof(err)) == JUKI_NOTE_VERIFIED)
			for (k = 0; k < nkeys; k++)
				ok |= witnessed[k] && keys[k].name_len == strlen(witness) &&
					memcmp(keys[k].name, witness, keys[k].name_len) == 0;
		if (!ok)
			t->fail(t->arg, seq,
					psprintf("the cosignature of witness %s on the checkpoint note at seq " INT64_FORMAT " does not verify under juki.witness_keys",
							 witness, seq));
	}
}

/* The stored notes: signature by one of pubs, body's size and root as stored. */
static List *
read_notes(JukiVTree *t, List *pubs)
{
	List	   *notes = NIL;
	uint64		i;

	if (SPI_execute("SELECT seq, tree_size, tree_root, note FROM juki.audit_checkpoint"
					" WHERE note IS NOT NULL ORDER BY seq", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.audit_checkpoint");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		seq = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		Datum		sz = SPI_getbinval(tup, desc, 2, &isnull);
		bytea	   *root = isnull ? NULL : DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull));
		char	   *text = SPI_getvalue(tup, desc, 4);
		JukiNote	note;
		JukiCheckpoint cp;
		char		err[256];
		bool		signed_ok = false;
		ListCell   *lc;
		VNote	   *v;

		if (!juki_note_parse(text, strlen(text), &note, err, sizeof(err)) ||
			!juki_checkpoint_parse(note.text, note.text_len, &cp, err, sizeof(err)))
		{
			t->fail(t->arg, seq, psprintf("the checkpoint note at seq " INT64_FORMAT " is malformed: %s", seq, err));
			continue;
		}
		foreach(lc, pubs)
		{
			JukiNoteKey key;

			if (juki_note_key_make(cp.origin, cp.origin_len, JUKI_SIGTYPE_ED25519,
								   (const uint8 *) lfirst(lc), &key, err, sizeof(err)) &&
				juki_checkpoint_open(text, strlen(text), &key, NULL, 0, &cp, NULL, NULL,
									 err, sizeof(err)) == JUKI_NOTE_VERIFIED)
				signed_ok = true;
		}
		if (!signed_ok)
			t->fail(t->arg, seq, psprintf("the checkpoint note at seq " INT64_FORMAT " is not signed by a known key (forged or altered)", seq));
		if (isnull || root == NULL || VARSIZE_ANY_EXHDR(root) != JUKI_HASH_LEN ||
			DatumGetInt64(sz) != (int64) cp.size ||
			memcmp(VARDATA_ANY(root), cp.root, JUKI_HASH_LEN) != 0 ||
			(int64) cp.size != seq + 1)
			t->fail(t->arg, seq, psprintf("the checkpoint note at seq " INT64_FORMAT " does not name its row's tree size and root", seq));
		check_cosignatures(t, seq, text, (int64) cp.size);
		v = palloc(sizeof(VNote));
		v->size = (int64) cp.size;
		v->seq = seq;
		memcpy(v->root, cp.root, JUKI_HASH_LEN);
		notes = lappend(notes, v);
	}
	list_sort(notes, note_cmp);
	return notes;
}

/* The stored full tile (level, index), or NULL; level 0 from the tiles read ahead. */
static const uint8 *
stored_tile(JukiVTree *t, int level, uint64 index)
{
	int			width;
	uint8	   *hashes;

	if (level > 0)
		return juki_tree_stored_tile(level, index, &width, &hashes) ? hashes : NULL;
	if (t->ahead == NULL)
		t->ahead = palloc((Size) TILES_AHEAD * JUKI_TILE_WIDTH * JUKI_HASH_LEN);
	if (index < t->ahead_first || index >= t->ahead_first + t->ahead_got)
	{
		t->ahead_first = index;
		t->ahead_got = juki_tree_stored_tiles(0, index, TILES_AHEAD, t->ahead);
		if (t->ahead_got == 0)
			return NULL;
	}
	return t->ahead + (size_t) (index - t->ahead_first) * JUKI_TILE_WIDTH * JUKI_HASH_LEN;
}

/*
 * A tile the builder completed: is it stored so?  Also, at the end of a log
 * shorter than the tiles, the partial edge against the first hashes of the
 * full tile stored there.
 */
static void
compare_tile(void *arg, int level, uint64 index, int width, const uint8 *hashes)
{
	JukiVTree  *t = arg;
	int			swidth = JUKI_TILE_WIDTH;
	const uint8 *stored;
	int			k = 0;
	bool		found;

	if (width == JUKI_TILE_WIDTH &&
		juki_tile_width(level, index, (uint64) t->stored) < JUKI_TILE_WIDTH)
		return;					/* filled by entries newer than the size read */
	stored = stored_tile(t, level, index);
	found = stored != NULL;
	if (width < JUKI_TILE_WIDTH && !found)
		return;					/* the right edge, computed by readers */
	if (found)
		while (k < Min(width, swidth) &&
			   memcmp(stored + (size_t) k * JUKI_HASH_LEN, hashes + (size_t) k * JUKI_HASH_LEN,
					  JUKI_HASH_LEN) == 0)
			k++;
	/* the first entry under the first hash that differs */
	if (k < width)
		t->fail(t->arg, (int64) ((index * JUKI_TILE_WIDTH + k) << (JUKI_TILE_HEIGHT * level)),
				psprintf("Merkle tree tile %d/" UINT64_FORMAT " differs from the entries it covers (entries or tiles rewritten)",
						 level, index));
}

JukiVTree *
juki_vtree_begin(int64 start, List *pubs, juki_vtree_fail_fn fail, void *arg)
{
	JukiVTree  *t;
	int64		stored = juki_tree_stored_size();

	if (stored < 0)
		return NULL;
	t = palloc0(sizeof(JukiVTree));
	t->stored = stored;
	t->fail = fail;
	t->arg = arg;
	t->tiled = juki_tree_tiled_size();
	if (start > 0 && stored >= start)
		juki_tree_builder_load(&t->b, (uint64) start);	/* after a purge */
	else
		juki_tree_builder_init(&t->b);
	if (start > 0 && stored < start)
		t->fail(t->arg, start, psprintf("the Merkle tree tiles cover " INT64_FORMAT " entries, fewer than the purged ones", stored));
	t->notes = read_notes(t, pubs);
	t->next_note = list_head(t->notes);
	/* notes below the start can be checked against the stored tiles only */
	while (t->next_note && ((VNote *) lfirst(t->next_note))->size < start)
	{
		VNote	   *n = lfirst(t->next_note);
		uint8		root[JUKI_HASH_LEN];

		if (n->size <= stored)
		{
			juki_tree_root_at((uint64) n->size, root);
			if (memcmp(root, n->root, JUKI_HASH_LEN) != 0)
				t->fail(t->arg, n->seq, psprintf("the tree root at size " INT64_FORMAT " differs from the signed checkpoint note", n->size));
		}
		t->next_note = lnext(t->notes, t->next_note);
	}
	return t;
}

void
juki_vtree_add(JukiVTree *t, int64 seq, const uint8 *leaf)
{
	if (t == NULL)
		return;
	if ((int64) t->b.size != seq)
		elog(ERROR, "juki's tree verification is out of step at seq " INT64_FORMAT, seq);
	juki_tree_builder_add_leaf(&t->b, leaf, compare_tile, t);
	while (t->next_note && ((VNote *) lfirst(t->next_note))->size == (int64) t->b.size)
	{
		VNote	   *n = lfirst(t->next_note);
		uint8		root[JUKI_HASH_LEN];

		juki_tree_builder_root(&t->b, root);
		if (memcmp(root, n->root, JUKI_HASH_LEN) != 0)
			t->fail(t->arg, n->seq,
					psprintf("entries up to seq " INT64_FORMAT " give another tree root than the signed checkpoint note (the log was rewritten)",
							 n->seq));
		t->next_note = lnext(t->notes, t->next_note);
	}
}

void
juki_vtree_end(JukiVTree *t, int64 next)
{
	if (t == NULL)
		return;
	/* a log shorter than the tiles: are the entries it has the tiles'? */
	if (t->tiled > next)
	{
		juki_tree_builder_edges(&t->b, compare_tile, t);
		t->fail(t->arg, next,
				psprintf("the log ends at seq " INT64_FORMAT " but the Merkle tree covers " INT64_FORMAT " entries: entries were removed (truncated)",
						 next - 1, t->tiled));
	}
	else if (t->next_note)
	{
		VNote	   *n = lfirst(t->next_note);

		t->fail(t->arg, next,
				psprintf("the log ends at seq " INT64_FORMAT " but a checkpoint note covers " INT64_FORMAT " entries: entries were removed (truncated)",
						 next - 1, n->size));
	}
	juki_tree_builder_free(&t->b);
}

/* ------------------------------------------------- the .note files */

typedef struct NoteRow
{
	int64		seq;
	char	   *note;
	bool		seen;			/* a file of that seq was found */
} NoteRow;

static int
note_row_cmp(const void *key, const void *elem)
{
	int64		seq = *(const int64 *) key;
	const NoteRow *n = elem;

	return seq < n->seq ? -1 : seq > n->seq ? 1 : 0;
}

/* Does dir hold a file name? */
static bool
file_exists(const char *dir, const char *name)
{
	char		path[MAXPGPATH];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = AllocateFile(path, "r");
	if (f == NULL)
		return false;
	FreeFile(f);
	return true;
}

/*
 * The notes in juki.checkpoint_directory against the stored ones, as
 * verify.c holds the .checkpoint files against the stored lines: a note
 * file of this chain must be the stored note of its seq (altered, or extra:
 * a stored note was removed), and a stored note whose .checkpoint file is
 * there must have its .note file beside it (the writer writes both after
 * the commit, the note first: a note file removed).  A note file that
 * cannot be read is a finding; a name juki does not give is not a note.  A stored note with
 * neither file (the directory set later, or unwritable then) is no finding.
 */
void
juki_verify_note_files(const uint8 *chain_origin, juki_vtree_fail_fn fail, void *arg)
{
	const char *dirname = juki_checkpoint_directory;
	char		hex[JK_HEX_LEN + 1];
	char		prefix[32];
	NoteRow    *rows;
	uint64		nrows;
	uint64		i;
	DIR		   *dir;
	struct dirent *de;
	char	   *buf;

	if (dirname == NULL || dirname[0] == '\0')
		return;
	if (SPI_execute("SELECT seq, note FROM juki.audit_checkpoint WHERE note IS NOT NULL ORDER BY seq",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.audit_checkpoint");
	nrows = SPI_processed;
	rows = palloc0(sizeof(NoteRow) * Max(nrows, 1));
	for (i = 0; i < nrows; i++)
	{
		bool		isnull;

		rows[i].seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		rows[i].note = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	dir = AllocateDir(dirname);
	if (dir == NULL)
		return;					/* verify.c has warned */
	jk_hex(chain_origin, JK_HASH_LEN, hex);
	snprintf(prefix, sizeof(prefix), "juki-%.16s-", hex);
	buf = palloc(JUKI_NOTE_MAX_LEN + 1);
	while ((de = ReadDirExtended(dir, dirname, WARNING)) != NULL)
	{
		size_t		n = strlen(de->d_name);
		char		path[MAXPGPATH];
		size_t		len;
		FILE	   *f;
		int64		seq;
		char	   *end;
		NoteRow    *row;

		CHECK_FOR_INTERRUPTS();
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || n < 5 ||
			strcmp(de->d_name + n - 5, ".note") != 0)
			continue;
		seq = strtoi64(de->d_name + strlen(prefix), &end, 10);
		if (end != de->d_name + n - 5 || end == de->d_name + strlen(prefix))
			continue;			/* not a name the writer gives: not some seq's note */
		snprintf(path, sizeof(path), "%s/%s", dirname, de->d_name);
		f = AllocateFile(path, "r");
		if (f == NULL)
		{
			fail(arg, seq, psprintf("the checkpoint note file %s cannot be read: %m", de->d_name));
			continue;
		}
		len = fread(buf, 1, JUKI_NOTE_MAX_LEN + 1, f);
		FreeFile(f);
		row = bsearch(&seq, rows, nrows, sizeof(NoteRow), note_row_cmp);
		if (row == NULL)
			fail(arg, seq,
					psprintf("the checkpoint note file %s is not in juki.audit_checkpoint (a stored note was removed, or the file added)",
							 de->d_name));
		else
		{
			row->seen = true;
			if (len != strlen(row->note) || memcmp(buf, row->note, len) != 0)
				fail(arg, seq,
						psprintf("the checkpoint note file %s differs from the note stored at seq " INT64_FORMAT " (one of them was altered)",
								 de->d_name, seq));
		}
	}
	FreeDir(dir);
	for (i = 0; i < nrows; i++)
	{
		char		name[64];

		if (rows[i].seen)
			continue;
		snprintf(name, sizeof(name), "%s%020lld.checkpoint", prefix, (long long) rows[i].seq);
		if (file_exists(dirname, name))
			fail(arg, rows[i].seq,
					psprintf("the checkpoint note at seq " INT64_FORMAT " has its .checkpoint file in juki.checkpoint_directory but no .note file (removed)",
							 rows[i].seq));
	}
	pfree(buf);
}
