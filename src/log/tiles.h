/*-------------------------------------------------------------------------
 * tiles.h
 *		The operation log's Merkle tree (RFC 6962) as C2SP tlog-tiles in
 *		juki.log_tile: built by the audit writer as it files entries, read
 *		by any backend for tree heads and proofs, rebuilt by verify_log
 *		(tiles.c, tree_read.c; doc/MERKLE.md gives the format).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_LOG_TILES_H
#define JUKI_LOG_TILES_H

#include "access/tupdesc.h"

#include "format/merkle.h"
#include "signing.h"

/* ---- building (writer and verify_log) ---- */

/* The rightmost tile of one tile level, as it grows. */
typedef struct JukiTreeEdge
{
	uint64		index;
	int			width;			/* 0 .. 256 */
	uint8		hashes[JUKI_TILE_WIDTH * JUKI_HASH_LEN];
} JukiTreeEdge;

typedef struct JukiTreeBuilder
{
	JukiHasher	hasher;
	uint64		size;
	JukiTreeEdge edge[JUKI_TILE_MAX_LEVEL + 1];
	/* the full level-0 tiles as subtrees of height 8: the root's left part */
	JukiMerkleFrontier full;
} JukiTreeBuilder;

/* Called for every tile that fills (width 256) and, from _edges, each partial edge. */
typedef void (*juki_tree_emit_fn) (void *arg, int level, uint64 index, int width,
								   const uint8 *hashes);

extern void juki_tree_builder_init(JukiTreeBuilder *b);
extern void juki_tree_builder_free(JukiTreeBuilder *b);
extern void juki_tree_builder_add_entry(JukiTreeBuilder *b, const char *canon, size_t len,
										juki_tree_emit_fn emit, void *arg);
/* The same with the leaf hash computed elsewhere (verify_log's parallel scan). */
extern void juki_tree_builder_add_leaf(JukiTreeBuilder *b, const uint8 leaf[JUKI_HASH_LEN],
									   juki_tree_emit_fn emit, void *arg);
/* The partial tiles of the right edge (1 .. 255 hashes), which are never stored. */
extern void juki_tree_builder_edges(JukiTreeBuilder *b, juki_tree_emit_fn emit, void *arg);
extern void juki_tree_builder_root(JukiTreeBuilder *b, uint8 root[JUKI_HASH_LEN]);
/* Start at size n from the stored tiles and, for the right edge, the log. */
extern void juki_tree_builder_load(JukiTreeBuilder *b, uint64 n);

/* ---- the writer (tiles.c) ---- */

/*
 * Add the entry filed at seq (its canonical bytes) to the tree: the one
 * call of write_entry (log/writer.c).  A tile that fills is inserted in the
 * entry's transaction; nothing else is written.
 */
extern void juki_tree_append(int64 seq, const char *canon, size_t len);

/*
 * Sign the tree head (size = entries filed so far) as a C2SP checkpoint
 * note with key; NULL when the tree or the key cannot (the checkpoint line
 * is still stored).  chain_origin names the log when juki.log_origin is
 * empty.
 */
extern char *juki_tree_checkpoint_note(JukiSigningKey *key, const uint8 *chain_origin,
									   int64 *size, uint8 root[JUKI_HASH_LEN]);
/* The note last returned, if it signed the checkpoint at seq; else NULL. */
extern const char *juki_tree_last_note(int64 seq);

/* The log's origin line (juki.log_origin, or the default). */
extern char *juki_tree_origin(const uint8 *chain_origin);

/* ---- reading (tree_read.c) ---- */

/*
 * Tree size: the log's entries when the full tiles cover them up to the
 * last < 256 (else what the full tiles cover); -1 if there is no tile table.
 */
extern int64 juki_tree_stored_size(void);
/* Entries under the stored full level-0 tiles (-1: no tile table). */
extern int64 juki_tree_tiled_size(void);
extern void juki_tree_root_at(uint64 n, uint8 root[JUKI_HASH_LEN]);
extern void juki_tree_leaf_at(uint64 index, uint64 n, uint8 leaf[JUKI_HASH_LEN]);
extern int	juki_tree_inclusion(uint64 index, uint64 n,
								uint8 proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN]);
extern int	juki_tree_consistency(uint64 m, uint64 n,
								  uint8 proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN]);
/*
 * juki_tile_fetch_fn over juki.log_tile (arg: a JukiHasher): a stored full
 * tile, or the partial right edge computed from the log and the tiles below.
 */
extern bool juki_tree_fetch_tile(void *arg, const JukiTile *tile, uint8_t *buf,
								 char *err, size_t errlen);
/* Full tile (level, index) as stored: width 256, hashes (palloc'd); false if absent. */
extern bool juki_tree_stored_tile(int level, uint64 index, int *width, uint8 **hashes);
/* juki.log_tile's column of that name, 0-based; ERROR if it has none. */
extern int	juki_tile_column(TupleDesc desc, const char *name);
/* Full tiles (level, first ..) into buf (count * 8 kB): how many were found in a row. */
extern uint64 juki_tree_stored_tiles(int level, uint64 first, uint64 count, uint8 *buf);

#endif							/* JUKI_LOG_TILES_H */
