/*-------------------------------------------------------------------------
 * tree_read.c
 *		Reading the operation log's Merkle tree from juki.log_tile: its
 *		size, root, leaves and RFC 6962 proofs at any size up to the stored
 *		one (doc/MERKLE.md).  The caller is connected to SPI and reads in
 *		one snapshot, in which the tiles and the entries they cover are
 *		consistent (the writer commits them together, tiles.c).
 *
 * A stored tile may be wider than the tree size asked about needs (it grew
 * since): only its first hashes are used, which is what makes a proof for
 * an older size come out of the newest tiles.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "tiles.h"

/* Tree size in the tiles; -1 if there is no tile table (juki 1.0's tables). */
int64
juki_tree_stored_size(void)
{
	Oid			nsp = get_namespace_oid("juki", true);
	bool		isnull;
	int64		idx;
	int			width;

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("log_tile", nsp)))
		return -1;
	if (SPI_execute("SELECT tile_index, width FROM juki.log_tile WHERE level = 0"
					" ORDER BY tile_index DESC LIMIT 1", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.log_tile");
	if (SPI_processed == 0)
		return 0;
	idx = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	width = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	return idx * JUKI_TILE_WIDTH + width;
}

bool
juki_tree_stored_tile(int level, uint64 index, int *width, uint8 **hashes)
{
	Oid			types[2] = {INT2OID, INT8OID};
	Datum		v[2];
	bool		isnull;
	bytea	   *b;

	v[0] = Int16GetDatum(level);
	v[1] = Int64GetDatum((int64) index);
	if (SPI_execute_with_args("SELECT width, hashes FROM juki.log_tile WHERE level = $1 AND tile_index = $2",
							  2, types, v, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cannot read juki.log_tile");
	if (SPI_processed == 0)
		return false;
	*width = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	b = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull || VARSIZE_ANY_EXHDR(b) != (Size) (*width) * JUKI_HASH_LEN)
		return false;
	*hashes = palloc(VARSIZE_ANY_EXHDR(b));
	memcpy(*hashes, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	return true;
}

/* juki_tile_fetch_fn over juki.log_tile: the first tile->width hashes. */
bool
juki_tree_fetch_tile(void *arg, const JukiTile *tile, uint8_t *buf, char *err, size_t errlen)
{
	int			width;
	uint8	   *hashes;

	if (!juki_tree_stored_tile(tile->level, tile->index, &width, &hashes))
	{
		snprintf(err, errlen, "tile %d/" UINT64_FORMAT " is missing or malformed",
				 tile->level, tile->index);
		return false;
	}
	if (width < tile->width)
	{
		snprintf(err, errlen, "tile %d/" UINT64_FORMAT " has %d hashes, %d needed",
				 tile->level, tile->index, width, tile->width);
		pfree(hashes);
		return false;
	}
	memcpy(buf, hashes, (size_t) tile->width * JUKI_HASH_LEN);
	pfree(hashes);
	return true;
}

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
