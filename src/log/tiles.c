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
 * write_entry.  A tile that fills is inserted at once; the partial tiles of
 * the right edge are written just before the transaction commits
 * (XACT_EVENT_PRE_COMMIT), so tiles and the entries they cover commit
 * together.  On abort the writer's memory of the tree is dropped and read
 * back from the table at the next append.  A log whose table has no tiles
 * yet (installed before 1.1) is caught up from its entries at the first
 * append; one whose first entries were purged before that cannot be, and
 * has no tree (a WARNING, and tree_head refuses with tree_unavailable).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "core/settings.h"
#include "format/buf.h"
#include "format/note.h"
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
		b->edge[l].dirty = false;
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
	e->dirty = true;
	if (e->width < JUKI_TILE_WIDTH)
		return;
	if (emit)
		emit(arg, l, e->index, JUKI_TILE_WIDTH, e->hashes);
	e->dirty = false;
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
	add_hash(b, 0, leaf, emit, arg);
	b->size++;
}

void
juki_tree_builder_flush(JukiTreeBuilder *b, juki_tree_emit_fn emit, void *arg)
{
	int			l;

	for (l = 0; l <= JUKI_TILE_MAX_LEVEL; l++)
	{
		if (b->edge[l].dirty && b->edge[l].width > 0)
			emit(arg, l, b->edge[l].index, b->edge[l].width, b->edge[l].hashes);
		b->edge[l].dirty = false;
	}
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
		if (!juki_tree_fetch_tile(NULL, &t, b->edge[l].hashes, err, sizeof(err)))
			tree_error("reading tiles", err);
		b->edge[l].index = t.index;
		b->edge[l].width = t.width;
	}
	/* the full level-0 tiles: the perfect subtrees of height >= 8 of n */
	rd->hasher = &b->hasher;
	rd->tree_size = n;
	rd->fetch = juki_tree_fetch_tile;
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

static Oid
tile_table(void)
{
	Oid			nsp = get_namespace_oid("juki", true);

	return OidIsValid(nsp) ? get_relname_relid("log_tile", nsp) : InvalidOid;
}

/* Insert or widen one tile (the writer is past the guard). */
static void
write_tile(void *arg, int level, uint64 index, int width, const uint8 *hashes)
{
	Oid			types[4] = {INT2OID, INT8OID, INT2OID, BYTEAOID};
	Datum		v[4];
	bytea	   *b = palloc(VARHDRSZ + (size_t) width * JUKI_HASH_LEN);

	SET_VARSIZE(b, VARHDRSZ + (size_t) width * JUKI_HASH_LEN);
	memcpy(VARDATA(b), hashes, (size_t) width * JUKI_HASH_LEN);
	v[0] = Int16GetDatum(level);
	v[1] = Int64GetDatum((int64) index);
	v[2] = Int16GetDatum(width);
	v[3] = PointerGetDatum(b);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO juki.log_tile (level, tile_index, width, hashes)"
							  " VALUES ($1, $2, $3, $4) ON CONFLICT (level, tile_index)"
							  " DO UPDATE SET width = excluded.width, hashes = excluded.hashes",
							  4, types, v, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "cannot write juki.log_tile");
	SPI_finish();
	pfree(b);
}

static void
tree_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PRE_COMMIT && tree_state == TREE_ON)
	{
		/* the writer has popped its snapshot before committing */
		PushActiveSnapshot(GetTransactionSnapshot());
		juki_tree_builder_flush(wtree, write_tile, NULL);
		PopActiveSnapshot();
	}
	else if (event == XACT_EVENT_ABORT && tree_state == TREE_ON)
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

/* Read the tree back, and add the entries filed before it existed. */
static void
tree_start(int64 seq)
{
	int64		stored;
	JukiLogScan scan;
	JukiLogRow	row;
	JkBuf		canon;
	MemoryContext old;

	if (!OidIsValid(tile_table()))
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
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	stored = juki_tree_stored_size();
	old = MemoryContextSwitchTo(TopMemoryContext);
	juki_tree_builder_load(wtree, (uint64) stored);
	MemoryContextSwitchTo(old);
	SPI_finish();
	if (stored > seq)
	{
		tree_broken(psprintf("the tiles hold " INT64_FORMAT " entries but the next entry is seq " INT64_FORMAT,
							 stored, seq));
		return;
	}
	tree_state = TREE_ON;
	if (stored == seq)
		return;
	/* entries filed before the tree: in seq order from the table */
	juki_buf_init(&canon);
	juki_log_scan_begin(&scan, stored, false);
	while (wtree->size < (uint64) seq && juki_log_scan_next(&scan, &row))
	{
		if (row.e.seq != (int64) wtree->size)
			break;
		jk_buf_reset(&canon);
		if (!juki_log_row_canonical(&row, &canon))
			break;
		juki_tree_builder_add_entry(wtree, canon.data, canon.len, write_tile, NULL);
	}
	juki_log_scan_end(&scan);
	if (wtree->size != (uint64) seq)
		tree_broken(psprintf("entry seq " UINT64_FORMAT " is not in the log (purged before juki 1.1?)",
							 wtree->size));
	else
		ereport(LOG, (errmsg_plural("juki's audit writer built the Merkle tree over %lld earlier entry",
									"juki's audit writer built the Merkle tree over %lld earlier entries",
									(unsigned long) (seq - stored),
									(long long) (seq - stored))));
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
	juki_tree_builder_add_entry(wtree, canon, len, write_tile, NULL);
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
