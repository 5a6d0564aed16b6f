/*-------------------------------------------------------------------------
 * tree_read.c
 *		Reading the operation log's Merkle tree: its size, root, leaves and
 *		RFC 6962 proofs at any size up to the current one (doc/MERKLE.md).
 *
 * juki.log_tile holds full tiles only (256 hashes, written once by the
 * writer, tiles.c).  The right edge of each level, the tile that is not
 * full yet, is computed when asked for: at level 0 from the leaf hashes of
 * the last < 256 entries of the log, at level L from the roots of the full
 * tiles of level L - 1 under it.  A tree of size n needs the full level-0
 * tiles below n rounded down to 256, which the writer stores in the
 * transaction of the entry that fills each, so any snapshot that sees the
 * entries sees their tiles.  Tiles and entries are append-only, so reading
 * in snapshots taken after the one the size came from gives the same
 * nodes; a full tile serves the smaller, partial tiles of older sizes.
 *
 * Rows narrower than 256 hashes are what juki 1.1 before this change left
 * (it stored the growing edge): readers skip them and the writer deletes
 * them when it starts the tree (tiles.c).  The table is found by identity
 * (core/objects.c) and read through its primary key, not with SQL.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/objects.h"
#include "record.h"
#include "scan.h"
#include "tiles.h"

#define TILE_BYTES	(JUKI_TILE_WIDTH * JUKI_HASH_LEN)

/* ------------------------------------------------------ juki.log_tile */

typedef struct TileScan
{
	Relation	rel;
	Relation	idx;
	Snapshot	snap;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData keys[2];
	AttrNumber	att_index;
	AttrNumber	att_width;
	AttrNumber	att_hashes;
} TileScan;

/* juki.log_tile's column of that name, 0-based (the writer's tiles.c too). */
int
juki_tile_column(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i;
	elog(ERROR, "juki.log_tile has no column %s", name);
	return -1;					/* keep the compiler quiet */
}

static AttrNumber
tile_att(TupleDesc desc, const char *name)
{
	return (AttrNumber) (juki_tile_column(desc, name) + 1);
}

/* Tiles of one level from index from up (or down, backward), by the primary key. */
static void
tile_scan_begin(TileScan *ts, Oid relid, int level, uint64 from, bool backward)
{
	Oid			pk;

	ts->rel = table_open(relid, AccessShareLock);
	pk = RelationGetPrimaryKeyIndex(ts->rel);
	if (!OidIsValid(pk))
		elog(ERROR, "juki.log_tile has no primary key");
	ts->idx = index_open(pk, AccessShareLock);
	ts->att_index = tile_att(RelationGetDescr(ts->rel), "tile_index");
	ts->att_width = tile_att(RelationGetDescr(ts->rel), "width");
	ts->att_hashes = tile_att(RelationGetDescr(ts->rel), "hashes");
	ts->slot = table_slot_create(ts->rel, NULL);
	/*
	 * The latest: sees at least what the caller's tree size was taken from.
	 * In parallel mode (verify_log's parallel scan) no new snapshot may be
	 * taken; the active one is the scan's, taken after that size was read.
	 */
	ts->snap = RegisterSnapshot(IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot());
	/* primary key (level, tile_index) */
	ScanKeyInit(&ts->keys[0], 1, BTEqualStrategyNumber, F_INT2EQ, Int16GetDatum(level));
	ScanKeyInit(&ts->keys[1], 2,
				backward ? BTLessEqualStrategyNumber : BTGreaterEqualStrategyNumber,
				backward ? F_INT8LE : F_INT8GE, Int64GetDatum((int64) from));
	ts->scan = index_beginscan(ts->rel, ts->idx, ts->snap, 2, 0);
	index_rescan(ts->scan, ts->keys, 2, NULL, 0);
}

/* The next full tile: its index and its 256 hashes; partial rows are skipped. */
static bool
tile_scan_next(TileScan *ts, ScanDirection dir, uint64 *index, uint8 *buf)
{
	while (index_getnext_slot(ts->scan, dir, ts->slot))
	{
		bool		isnull;
		Datum		w = slot_getattr(ts->slot, ts->att_width, &isnull);
		Datum		h;
		bytea	   *b;

		if (isnull || DatumGetInt16(w) != JUKI_TILE_WIDTH)
			continue;
		*index = (uint64) DatumGetInt64(slot_getattr(ts->slot, ts->att_index, &isnull));
		h = slot_getattr(ts->slot, ts->att_hashes, &isnull);
		if (isnull)
			continue;
		if (buf == NULL)
			return true;
		b = DatumGetByteaPP(h);
		if (VARSIZE_ANY_EXHDR(b) != TILE_BYTES)
			continue;			/* malformed: as if missing */
		memcpy(buf, VARDATA_ANY(b), TILE_BYTES);
		if ((Pointer) b != DatumGetPointer(h))
			pfree(b);
		return true;
	}
	return false;
}

static void
tile_scan_end(TileScan *ts)
{
	index_endscan(ts->scan);
	UnregisterSnapshot(ts->snap);
	ExecDropSingleTupleTableSlot(ts->slot);
	index_close(ts->idx, AccessShareLock);
	table_close(ts->rel, AccessShareLock);
}

/*
 * Full tiles (level, first .. first + count - 1) into buf (count * 8 kB):
 * how many were found in a row from first.
 */
static uint64
read_full_tiles(int level, uint64 first, uint64 count, uint8 *buf)
{
	Oid			relid = juki_log_tile_relation();
	TileScan	ts;
	uint64		got = 0;
	uint64		index;

	if (!OidIsValid(relid) || count == 0)
		return 0;
	tile_scan_begin(&ts, relid, level, first, false);
	while (got < count &&
		   tile_scan_next(&ts, ForwardScanDirection, &index, buf + got * TILE_BYTES) &&
		   index == first + got)
		got++;
	tile_scan_end(&ts);
	return got;
}

int64
juki_tree_tiled_size(void)
{
	Oid			relid = juki_log_tile_relation();
	TileScan	ts;
	uint64		index;
	int64		size = 0;

	if (!OidIsValid(relid))
		return -1;
	tile_scan_begin(&ts, relid, 0, (uint64) PG_INT64_MAX, true);
	if (tile_scan_next(&ts, BackwardScanDirection, &index, NULL))
		size = (int64) (index + 1) * JUKI_TILE_WIDTH;
	tile_scan_end(&ts);
	return size;
}

/*
 * The tree size: the log's entries, when the full tiles cover all but the
 * last < 256 of them (always, once the writer keeps the tree); else the
 * entries under the full tiles (a log from before juki 1.1 that the writer
 * has not caught up, or whose first entries were purged before it could).
 */
int64
juki_tree_stored_size(void)
{
	JukiLogScan s;
	JukiLogRow	row;
	int64		next = 0;
	int64		tiled;

	if (!OidIsValid(juki_log_tile_relation()))
		return -1;
	/* the log first: the tiles are read in a later snapshot */
	juki_log_scan_begin(&s, PG_INT64_MAX, true);
	if (juki_log_scan_next(&s, &row))
		next = row.e.seq + 1;
	juki_log_scan_end(&s);
	tiled = juki_tree_tiled_size();
	return tiled >= next - next % JUKI_TILE_WIDTH ? next : tiled;
}

uint64
juki_tree_stored_tiles(int level, uint64 first, uint64 count, uint8 *buf)
{
	return read_full_tiles(level, first, count, buf);
}

bool
juki_tree_stored_tile(int level, uint64 index, int *width, uint8 **hashes)
{
	uint8	   *buf = palloc(TILE_BYTES);

	if (read_full_tiles(level, index, 1, buf) != 1)
	{
		pfree(buf);
		return false;
	}
	*width = JUKI_TILE_WIDTH;
	*hashes = buf;
	return true;
}

/* ------------------------------------------------ the computed right edge */

/* Level 0: the leaf hashes of entries [256 N, 256 N + W) from the log. */
static bool
edge_leaves(JukiHasher *h, const JukiTile *tile, uint8 *buf, char *err, size_t errlen)
{
	int64		first = (int64) tile->index * JUKI_TILE_WIDTH;
	JukiLogScan s;
	JukiLogRow	row;
	JkBuf		canon;
	int			i = 0;
	bool		ok = true;

	juki_buf_init(&canon);
	juki_log_scan_recent(&s, first);
	while (ok && i < tile->width && juki_log_scan_next(&s, &row) && row.e.seq == first + i)
	{
		jk_buf_reset(&canon);
		if (!juki_log_row_canonical(&row, &canon))
		{
			snprintf(err, errlen, "entry seq " INT64_FORMAT " has no canonical form", row.e.seq);
			ok = false;
		}
		else if (!juki_merkle_leaf_hash(h, canon.data, canon.len,
										buf + (size_t) i * JUKI_HASH_LEN, err, errlen))
			ok = false;
		else
			i++;
	}
	juki_log_scan_end(&s);
	if (ok && i < tile->width)
	{
		snprintf(err, errlen, "entry seq " INT64_FORMAT " under the tree's right edge is not in the log",
				 first + i);
		ok = false;
	}
	pfree(canon.data);
	return ok;
}

/* Level L > 0: the roots of the full tiles (L - 1, 256 N + i), i < W. */
static bool
edge_nodes(JukiHasher *h, const JukiTile *tile, uint8 *buf, char *err, size_t errlen)
{
	uint64		first = tile->index * JUKI_TILE_WIDTH;
	uint8	   *below = palloc((size_t) tile->width * TILE_BYTES);
	uint64		got = read_full_tiles(tile->level - 1, first, (uint64) tile->width, below);
	int			i;
	bool		ok = true;

	if (got < (uint64) tile->width)
	{
		snprintf(err, errlen, "tile %d/" UINT64_FORMAT " is missing or malformed",
				 tile->level - 1, first + got);
		ok = false;
	}
	for (i = 0; ok && i < tile->width; i++)
		ok = juki_merkle_root_of(h, (const uint8 (*)[JUKI_HASH_LEN]) (below + (size_t) i * TILE_BYTES),
								 JUKI_TILE_WIDTH, buf + (size_t) i * JUKI_HASH_LEN, err, errlen);
	pfree(below);
	return ok;
}

/*
 * juki_tile_fetch_fn (arg: a JukiHasher): the first tile->width hashes of
 * the stored full tile, or of the right edge computed.
 */
bool
juki_tree_fetch_tile(void *arg, const JukiTile *tile, uint8_t *buf, char *err, size_t errlen)
{
	uint8	   *full = palloc(TILE_BYTES);
	bool		found = read_full_tiles(tile->level, tile->index, 1, full) == 1;

	if (found)
		memcpy(buf, full, (size_t) tile->width * JUKI_HASH_LEN);
	pfree(full);
	if (found)
		return true;
	if (tile->width >= JUKI_TILE_WIDTH || arg == NULL)
	{
		snprintf(err, errlen, "tile %d/" UINT64_FORMAT " is missing or malformed",
				 tile->level, tile->index);
		return false;
	}
	if (tile->level == 0)
		return edge_leaves((JukiHasher *) arg, tile, buf, err, errlen);
	return edge_nodes((JukiHasher *) arg, tile, buf, err, errlen);
}

/* ------------------------------------------------------------- reading */

/* A hasher and a tile reader for one call; the hasher is freed on error too. */
typedef struct Reading
{
	JukiHasher	h;
	JukiTileReader rd;
	char		err[256];
} Reading;

static Reading *
reading_begin(uint64 n)
{
	Reading    *r = palloc0(sizeof(Reading));

	if (!juki_hasher_init(&r->h, r->err, sizeof(r->err)))
		elog(ERROR, "juki's Merkle tree: SHA-256: %s", r->err);
	r->rd.hasher = &r->h;
	r->rd.tree_size = n;
	r->rd.fetch = juki_tree_fetch_tile;
	r->rd.fetch_arg = &r->h;
	return r;
}

static void
reading_end(Reading *r, bool ok, const char *what)
{
	juki_hasher_free(&r->h);
	if (!ok)
		elog(ERROR, "juki's Merkle tree: %s: %s", what, r->err);
	pfree(r);
}

#define WITH_READING(n, what, call) \
	do { \
		Reading *r_ = reading_begin(n); \
		volatile bool ok_ = false; \
		PG_TRY(); \
		{ \
			ok_ = (call); \
		} \
		PG_CATCH(); \
		{ \
			juki_hasher_free(&r_->h); \
			PG_RE_THROW(); \
		} \
		PG_END_TRY(); \
		reading_end(r_, ok_, what); \
	} while (0)

void
juki_tree_root_at(uint64 n, uint8 root[JUKI_HASH_LEN])
{
	WITH_READING(n, "root",
				 juki_merkle_tree_root(&r_->h, juki_tile_node_fn, &r_->rd, n, root,
									   r_->err, sizeof(r_->err)));
}

void
juki_tree_leaf_at(uint64 index, uint64 n, uint8 leaf[JUKI_HASH_LEN])
{
	WITH_READING(n, "leaf",
				 juki_tile_node_fn(&r_->rd, 0, index, leaf, r_->err, sizeof(r_->err)));
}

int
juki_tree_inclusion(uint64 index, uint64 n, uint8 proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN])
{
	int			np = 0;

	WITH_READING(n, "inclusion proof",
				 juki_merkle_inclusion_proof(&r_->h, juki_tile_node_fn, &r_->rd, index, n,
											 proof, &np, r_->err, sizeof(r_->err)));
	return np;
}

int
juki_tree_consistency(uint64 m, uint64 n, uint8 proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN])
{
	int			np = 0;

	WITH_READING(n, "consistency proof",
				 juki_merkle_consistency_proof(&r_->h, juki_tile_node_fn, &r_->rd, m, n,
											   proof, &np, r_->err, sizeof(r_->err)));
	return np;
}
