/*-------------------------------------------------------------------------
 * tiles.c
 *		The operation log's Merkle tree, built as C2SP tlog-tiles of height
 *		8 in juki.log_tile (issue 17; doc/MERKLE.md).  Leaf i is
 *		SHA-256(0x00 || canonical bytes of the entry at seq i), the same
 *		bytes the hash chain hashes.
 *
 * The builder keeps, for each tile level, the rightmost tile as it grows,
 * and the full level-0 tiles as a frontier of height-8 subtrees: adding a
 * leaf costs one leaf hash and, once per 256 leaves, 255 node hashes.  The
 * audit writer and verify_log use the same builder, so what verify_log
 * recomputes is what the writer stored.
 *
 * The writer (only it writes the tiles; no shared memory here) adds every
 * entry it files through juki_tree_append, called from one place,
 * write_entry.  Only full tiles are stored: a tile that fills is inserted
 * at once, in the transaction of the entry that filled it, and never
 * changes; the partial right edge lives in the writer's memory (to sign
 * tree heads) and readers compute it (tree_read.c).  On abort the writer's
 * memory of the tree is dropped and rebuilt at the next append from the
 * full tiles and the entries after them (< 256, unless the log was
 * installed before 1.1 and is caught up then); a log whose first entries
 * were purged before that cannot be, and has no tree (a WARNING).  Rows
 * narrower than 256 that an earlier 1.1 stored are deleted at that start.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/table.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/objects.h"
#include "core/settings.h"
#include "format/buf.h"
#include "format/note.h"
#include "inserter.h"
#include "record.h"
#include "scan.h"
#include "tiles.h"

/* ------------------------------------------------------------- builder */

static void
tree_error(const char *what, const char *err)
{
	elog(ERROR, "juki's Merkle tree: %s: %s", what, err);
}

void
juki_tree_builder_init(JukiTreeBuilder *b)
{
	char		err[256];
	int			l;

	b->size = 0;
	for (l = 0; l <= JUKI_TILE_MAX_LEVEL; l++)
	{
		b->edge[l].index = 0;
		b->edge[l].width = 0;
	}
	juki_frontier_init(&b->full);
	if (!juki_hasher_init(&b->hasher, err, sizeof(err)))
		tree_error("SHA-256", err);
}

void
juki_tree_builder_free(JukiTreeBuilder *b)
{
	juki_hasher_free(&b->hasher);
}

/* Put hash at the right edge of tile level l; a tile that fills goes up. */
static void
add_hash(JukiTreeBuilder *b, int l, const uint8 *hash, juki_tree_emit_fn emit, void *arg)
{
	JukiTreeEdge *e = &b->edge[l];
	uint8		root[JUKI_HASH_LEN];
	char		err[256];

	if (e->width == JUKI_TILE_WIDTH)
	{
		e->index++;
		e->width = 0;
	}
	memcpy(e->hashes + (size_t) e->width * JUKI_HASH_LEN, hash, JUKI_HASH_LEN);
	e->width++;
	if (e->width < JUKI_TILE_WIDTH)
		return;
	if (emit)
		emit(arg, l, e->index, JUKI_TILE_WIDTH, e->hashes);
	if (!juki_merkle_root_of(&b->hasher, (const uint8 (*)[JUKI_HASH_LEN]) e->hashes,
							 JUKI_TILE_WIDTH, root, err, sizeof(err)))
		tree_error("tile root", err);
	if (l == 0 &&
		!juki_frontier_append_subtree(&b->hasher, &b->full, JUKI_TILE_HEIGHT, root,
									  err, sizeof(err)))
		tree_error("frontier", err);
	if (l < JUKI_TILE_MAX_LEVEL)
		add_hash(b, l + 1, root, emit, arg);
}

void
juki_tree_builder_add_entry(JukiTreeBuilder *b, const char *canon, size_t len,
							juki_tree_emit_fn emit, void *arg)
{
	uint8		leaf[JUKI_HASH_LEN];
	char		err[256];

	if (!juki_merkle_leaf_hash(&b->hasher, canon, len, leaf, err, sizeof(err)))
		tree_error("leaf hash", err);
	juki_tree_builder_add_leaf(b, leaf, emit, arg);
}

void
juki_tree_builder_add_leaf(JukiTreeBuilder *b, const uint8 leaf[JUKI_HASH_LEN],
						   juki_tree_emit_fn emit, void *arg)
{
	add_hash(b, 0, leaf, emit, arg);
	b->size++;
}

void
juki_tree_builder_edges(JukiTreeBuilder *b, juki_tree_emit_fn emit, void *arg)
{
	int			l;

	for (l = 0; l <= JUKI_TILE_MAX_LEVEL; l++)
		if (b->edge[l].width > 0 && b->edge[l].width < JUKI_TILE_WIDTH)
			emit(arg, l, b->edge[l].index, b->edge[l].width, b->edge[l].hashes);
}

void
juki_tree_builder_root(JukiTreeBuilder *b, uint8 root[JUKI_HASH_LEN])
{
	JukiMerkleFrontier all = b->full;
	JukiMerkleFrontier rest;
	const JukiTreeEdge *e = &b->edge[0];
	char		err[256];
	int			i;

	/* the leaves after the last full level-0 tile */
	if (e->width > 0 && e->width < JUKI_TILE_WIDTH)
	{
		juki_frontier_init(&rest);
		for (i = 0; i < e->width; i++)
			if (!juki_frontier_append(&b->hasher, &rest, e->hashes + (size_t) i * JUKI_HASH_LEN,
									  err, sizeof(err)))
				tree_error("frontier", err);
		if (!juki_frontier_merge(&b->hasher, &all, &rest, err, sizeof(err)))
			tree_error("frontier", err);
	}
	if (all.size != b->size)
		elog(ERROR, "juki's Merkle tree: frontier of size " UINT64_FORMAT " for a tree of size " UINT64_FORMAT,
			 all.size, b->size);
	if (!juki_frontier_root(&b->hasher, &all, root, err, sizeof(err)))
		tree_error("root", err);
}

void
juki_tree_builder_load(JukiTreeBuilder *b, uint64 n)
{
	JukiTileReader *rd = palloc0(sizeof(JukiTileReader));
	char		err[256];
	int			l;
	int			i;

	juki_tree_builder_init(b);
	b->size = n;
	for (l = 0; l <= JUKI_TILE_MAX_LEVEL; l++)
	{
		uint64		count = n >> (JUKI_TILE_HEIGHT * l);
		JukiTile	t;

		if (count == 0)
			break;
		t.level = l;
		t.index = (count - 1) / JUKI_TILE_WIDTH;
		t.width = (int) (count - t.index * JUKI_TILE_WIDTH);
		if (!juki_tree_fetch_tile(&b->hasher, &t, b->edge[l].hashes, err, sizeof(err)))
			tree_error("reading tiles", err);
		b->edge[l].index = t.index;
		b->edge[l].width = t.width;
	}
	/* the full level-0 tiles: the perfect subtrees of height >= 8 of n */
	rd->hasher = &b->hasher;
	rd->tree_size = n;
	rd->fetch = juki_tree_fetch_tile;
	rd->fetch_arg = &b->hasher;
	for (i = JUKI_MERKLE_MAX_LEVEL; i >= JUKI_TILE_HEIGHT; i--)
	{
		uint8		h[JUKI_HASH_LEN];
		uint64		start;

		if (!(n & ((uint64) 1 << i)))
			continue;
		start = b->full.size;
		if (!juki_tile_node_fn(rd, i, start >> i, h, err, sizeof(err)) ||
			!juki_frontier_append_subtree(&b->hasher, &b->full, i, h, err, sizeof(err)))
			tree_error("reading tiles", err);
	}
	pfree(rd);
}

/* -------------------------------------------------------------- origin */

char *
juki_tree_origin(const uint8 *chain_origin)
{
	char		hex[JK_HEX_LEN + 1];

	if (juki_log_origin != NULL && juki_log_origin[0] != '\0')
		return pstrdup(juki_log_origin);
	jk_hex(chain_origin, JK_HASH_LEN, hex);
	hex[16] = '\0';
	return psprintf("juki/%s", hex);
}

/* -------------------------------------------------------------- writer */

typedef enum TreeState
{
	TREE_UNKNOWN,				/* read it from the table at the next append */
	TREE_ON,
	TREE_BROKEN					/* no tree until the writer restarts */
} TreeState;

static TreeState tree_state = TREE_UNKNOWN;
static JukiTreeBuilder *wtree;	/* TopMemoryContext */
static bool callback_registered = false;
static char *last_note;			/* TopMemoryContext */
static int64 last_note_seq = -1;

/*
 * Insert a tile that filled (the writer is past the guard): without a
 * query, as the writer inserts log entries, into the table found by
 * identity.  Full tiles never change, so this is the only write.
 */
static void
insert_tile(void *arg, int level, uint64 index, int width, const uint8 *hashes)
{
	Oid			relid = juki_log_tile_relation();
	Relation	rel;
	TupleDesc	desc;
	EState	   *estate;
	ResultRelInfo *rri;
	bool		had_triggers;
	TupleTableSlot *slot;
	bytea	   *b;

	if (width != JUKI_TILE_WIDTH)
		elog(ERROR, "juki's Merkle tree: tile %d/" UINT64_FORMAT " of width %d is not full",
			 level, index, width);
	if (!OidIsValid(relid))
		elog(ERROR, "relation juki.log_tile does not exist");
	rel = table_open(relid, RowExclusiveLock);
	desc = RelationGetDescr(rel);
	/* triggers on the tiles can only have been added behind juki's back */
	rri = juki_insert_target(rel, &estate, &had_triggers);
	slot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * desc->natts);
	b = palloc(VARHDRSZ + (size_t) width * JUKI_HASH_LEN);
	SET_VARSIZE(b, VARHDRSZ + (size_t) width * JUKI_HASH_LEN);
	memcpy(VARDATA(b), hashes, (size_t) width * JUKI_HASH_LEN);
	slot->tts_values[juki_tile_column(desc, "level")] = Int16GetDatum(level);
	slot->tts_values[juki_tile_column(desc, "tile_index")] = Int64GetDatum((int64) index);
	slot->tts_values[juki_tile_column(desc, "width")] = Int16GetDatum(width);
	slot->tts_values[juki_tile_column(desc, "hashes")] = PointerGetDatum(b);
	slot->tts_isnull[juki_tile_column(desc, "level")] = false;
	slot->tts_isnull[juki_tile_column(desc, "tile_index")] = false;
	slot->tts_isnull[juki_tile_column(desc, "width")] = false;
	slot->tts_isnull[juki_tile_column(desc, "hashes")] = false;
	ExecStoreVirtualTuple(slot);
	ExecSimpleRelationInsert(rri, estate, slot);
	juki_insert_target_close(estate, rri);
	table_close(rel, NoLock);
	pfree(b);
}

/*
 * Delete the partial tiles an earlier 1.1 stored (readers skip them; a
 * tile that fills is then inserted where one was).  A scan of the small
 * heap (the hashes live in TOAST), at the tree's start only.
 */
static void
delete_partial_tiles(Oid relid)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	int			att = juki_tile_column(RelationGetDescr(rel), "width") + 1;
	int			deleted = 0;

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		w = slot_getattr(slot, att, &isnull);

		if (!isnull && DatumGetInt16(w) == JUKI_TILE_WIDTH)
			continue;
		simple_table_tuple_delete(rel, &slot->tts_tid, snap);
		deleted++;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, NoLock);
	if (deleted > 0)
		CommandCounterIncrement();
}

static void
tree_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT && tree_state == TREE_ON)
		tree_state = TREE_UNKNOWN;
}

static void
tree_broken(const char *why)
{
	tree_state = TREE_BROKEN;
	ereport(WARNING,
			(errmsg("juki's audit writer keeps no Merkle tree over the operation log: %s", why),
			 errhint("juki.tree_head() and the proofs refuse with tree_unavailable; the hash chain is kept as before.")));
}

/*
 * Read the tree back: the full tiles, then the entries after them (the
 * right edge, and on the first start after the update from 1.0 the whole
 * log filed before the tree existed).
 */
static void
tree_start(int64 seq)
{
	Oid			relid = juki_log_tile_relation();
	int64		base;
	uint64		tiles_before;
	JukiLogScan scan;
	JukiLogRow	row;
	JkBuf		canon;
	MemoryContext old;

	if (!OidIsValid(relid))
		return;					/* juki 1.0's tables: no tree until the update */
	if (!callback_registered)
	{
		RegisterXactCallback(tree_xact_callback, NULL);
		callback_registered = true;
	}
	if (wtree == NULL)
		wtree = MemoryContextAllocZero(TopMemoryContext, sizeof(JukiTreeBuilder));
	else
		juki_tree_builder_free(wtree);
	delete_partial_tiles(relid);
	base = juki_tree_tiled_size();
	if (base > seq)
	{
		juki_tree_builder_init(wtree);
		tree_broken(psprintf("the tiles hold " INT64_FORMAT " entries but the next entry is seq " INT64_FORMAT,
							 base, seq));
		return;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	juki_tree_builder_load(wtree, (uint64) base);
	MemoryContextSwitchTo(old);
	tree_state = TREE_ON;
	if (base == seq)
		return;
	/* the entries after the full tiles, in seq order from the table */
	tiles_before = (uint64) base / JUKI_TILE_WIDTH;
	juki_buf_init(&canon);
	if (seq - base <= 4 * JUKI_TILE_WIDTH)
		juki_log_scan_recent(&scan, base);
	else
		juki_log_scan_begin(&scan, base, false);
	while (wtree->size < (uint64) seq && juki_log_scan_next(&scan, &row))
	{
		if (row.e.seq != (int64) wtree->size)
			break;
		jk_buf_reset(&canon);
		if (!juki_log_row_canonical(&row, &canon))
			break;
		juki_tree_builder_add_entry(wtree, canon.data, canon.len, insert_tile, NULL);
	}
	juki_log_scan_end(&scan);
	if (wtree->size != (uint64) seq)
		tree_broken(psprintf("entry seq " UINT64_FORMAT " is not in the log (purged before juki 1.1?)",
							 wtree->size));
	else
		/* worth a LOG line only when it stored tiles (a catch-up, not a restart) */
		ereport(wtree->size / JUKI_TILE_WIDTH > tiles_before ? LOG : DEBUG1,
				(errmsg_plural("juki's audit writer built the Merkle tree over %lld earlier entry",
							   "juki's audit writer built the Merkle tree over %lld earlier entries",
							   (unsigned long) (seq - base),
							   (long long) (seq - base))));
}

void
juki_tree_append(int64 seq, const char *canon, size_t len)
{
	if (tree_state == TREE_BROKEN)
		return;
	if (tree_state == TREE_UNKNOWN)
	{
		tree_start(seq);
		if (tree_state != TREE_ON)
			return;
	}
	if (wtree->size != (uint64) seq)
	{
		tree_broken(psprintf("the tree has " UINT64_FORMAT " leaves but the entry is seq " INT64_FORMAT,
							 wtree->size, seq));
		return;
	}
	juki_tree_builder_add_entry(wtree, canon, len, insert_tile, NULL);
}

char *
juki_tree_checkpoint_note(JukiSigningKey *key, const uint8 *chain_origin,
						  int64 *size, uint8 root[JUKI_HASH_LEN])
{
	char	   *origin;
	char		body[JUKI_CHECKPOINT_MAX_LEN];
	size_t		bodylen;
	char		line[JUKI_NOTE_NAME_MAX + 256];
	size_t		linelen;
	char		err[256];
	JukiNoteSigner signer;
	uint8		seed[JK_PUBKEY_LEN];
	bool		ok;
	char	   *note;

	if (tree_state != TREE_ON)
		return NULL;
	juki_tree_builder_root(wtree, root);
	*size = (int64) wtree->size;
	origin = juki_tree_origin(chain_origin);
	if (!juki_checkpoint_body(origin, strlen(origin), wtree->size, root, "", 0,
							  body, sizeof(body), &bodylen, err, sizeof(err)))
	{
		ereport(WARNING, (errmsg("juki cannot write a checkpoint note: %s", err)));
		return NULL;
	}
	if (!juki_signing_seed(key, seed))
		return NULL;
	ok = juki_note_signer_init(&signer, origin, strlen(origin), JUKI_SIGTYPE_ED25519, seed,
							   err, sizeof(err)) &&
		juki_note_sign_line(&signer, body, bodylen, 0, line, sizeof(line), &linelen,
							err, sizeof(err));
	juki_note_signer_clear(&signer);
	explicit_bzero(seed, sizeof(seed));
	if (!ok)
	{
		ereport(WARNING, (errmsg("juki cannot sign a checkpoint note: %s", err)));
		return NULL;
	}
	/* note = body, blank line, signature lines */
	note = psprintf("%.*s\n%.*s", (int) bodylen, body, (int) linelen, line);
	if (last_note)
		pfree(last_note);
	last_note = MemoryContextStrdup(TopMemoryContext, note);
	last_note_seq = *size - 1;
	return note;
}

const char *
juki_tree_last_note(int64 seq)
{
	return last_note != NULL && last_note_seq == seq ? last_note : NULL;
}
