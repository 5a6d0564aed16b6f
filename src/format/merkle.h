/*-------------------------------------------------------------------------
 * merkle.h
 *		The operation log's Merkle tree, free of PostgreSQL: RFC 6962 /
 *		RFC 9162 tree hashes, an incremental appender, inclusion and
 *		consistency proofs (generation from stored nodes, verification), and
 *		the geometry of C2SP tlog-tiles (tiles of height 8).  doc/MERKLE.md
 *		gives the byte formats.
 *
 * Only libc and OpenSSL (libcrypto) are used.  Every function that can fail
 * returns false and leaves a message in the caller's error buffer; none
 * aborts, allocates behind the caller's back (a JukiHasher holds the only
 * OpenSSL objects, and juki_hasher_free releases them) or keeps global
 * state.  A JukiHasher is not thread-safe: give each thread its own.
 *
 * Addressing.  Node (level, index) is the root of the perfect subtree over
 * leaves [index * 2^level, (index + 1) * 2^level); level 0 nodes are leaf
 * hashes.  Tree sizes are at most JUKI_MERKLE_MAX_SIZE (2^63 - 1), the
 * range of a PostgreSQL bigint.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_MERKLE_H
#define JUKI_FORMAT_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JUKI_HASH_LEN			32
#define JUKI_MERKLE_MAX_SIZE	INT64_MAX
/* longest proof for sizes up to 2^63 - 1: ceil(log2(n)) + 1 hashes */
#define JUKI_MERKLE_MAX_PROOF	64
#define JUKI_MERKLE_MAX_LEVEL	63

/* SHA-256 of the empty string: the root of the empty tree. */
extern const uint8_t juki_merkle_empty_root[JUKI_HASH_LEN];

/* A reusable SHA-256 context (one fetched digest, one EVP_MD_CTX). */
typedef struct JukiHasher
{
	void	   *md;				/* EVP_MD * */
	void	   *ctx;			/* EVP_MD_CTX * */
} JukiHasher;

extern bool juki_hasher_init(JukiHasher *h, char *err, size_t errlen);
extern void juki_hasher_free(JukiHasher *h);

/* SHA-256(0x00 || entry) */
extern bool juki_merkle_leaf_hash(JukiHasher *h, const void *entry, size_t len,
								  uint8_t out[JUKI_HASH_LEN],
								  char *err, size_t errlen);
/* SHA-256(0x01 || left || right); out may alias left or right */
extern bool juki_merkle_node_hash(JukiHasher *h, const uint8_t left[JUKI_HASH_LEN],
								  const uint8_t right[JUKI_HASH_LEN],
								  uint8_t out[JUKI_HASH_LEN],
								  char *err, size_t errlen);

/* Largest power of two strictly smaller than n (n >= 2): RFC 6962's split. */
extern uint64_t juki_merkle_split(uint64_t n);

/* MTH over n leaf hashes held in memory (n may be 0). */
extern bool juki_merkle_root_of(JukiHasher *h, const uint8_t (*leaves)[JUKI_HASH_LEN],
								uint64_t n, uint8_t root[JUKI_HASH_LEN],
								char *err, size_t errlen);

/*
 * The right edge of a tree (a compact range starting at 0): for each set
 * bit i of size, peaks[i] is the root of the perfect subtree of height i
 * that the binary decomposition of size puts there.  Appending a leaf and
 * computing the root take O(log n) time and fixed memory.
 */
typedef struct JukiMerkleFrontier
{
	uint64_t	size;
	uint8_t		peaks[JUKI_MERKLE_MAX_LEVEL + 1][JUKI_HASH_LEN];
} JukiMerkleFrontier;

extern void juki_frontier_init(JukiMerkleFrontier *f);
extern bool juki_frontier_append(JukiHasher *h, JukiMerkleFrontier *f,
								 const uint8_t leaf[JUKI_HASH_LEN],
								 char *err, size_t errlen);
/* Append a whole perfect subtree of 2^level leaves (size must be aligned). */
extern bool juki_frontier_append_subtree(JukiHasher *h, JukiMerkleFrontier *f,
										 int level, const uint8_t hash[JUKI_HASH_LEN],
										 char *err, size_t errlen);
/*
 * left := left followed by right, where right was computed on its own
 * (from index 0).  Needs left->size to be a multiple of the largest power
 * of two <= right->size, e.g. both cut at multiples of 2^16 with right no
 * longer than 2^16: this is what makes ranges independent.
 */
extern bool juki_frontier_merge(JukiHasher *h, JukiMerkleFrontier *left,
								const JukiMerkleFrontier *right,
								char *err, size_t errlen);
extern bool juki_frontier_root(JukiHasher *h, const JukiMerkleFrontier *f,
							   uint8_t root[JUKI_HASH_LEN],
							   char *err, size_t errlen);

/*
 * One pass over count entries laid end to end in buf: entry i is
 * buf[off[i] .. off[i + 1]) (off has count + 1 elements, non-decreasing,
 * off[count] <= buflen).  Computes every leaf hash (into leaves, if not
 * NULL: count * 32 bytes) and appends them to f.  Two threads may each run
 * this over their own range with their own hasher and frontier (started
 * with juki_frontier_init) and then juki_frontier_merge the results.
 */
extern bool juki_merkle_hash_entries(JukiHasher *h, const uint8_t *buf, size_t buflen,
									 const size_t *off, size_t count,
									 uint8_t (*leaves)[JUKI_HASH_LEN],
									 JukiMerkleFrontier *f,
									 char *err, size_t errlen);

/*
 * Stored nodes.  The storage layer answers "hash of node (level, index)"
 * for complete nodes only (those inside the tree size it was asked about);
 * on failure it returns false with a message.
 */
typedef bool (*juki_merkle_node_fn) (void *arg, int level, uint64_t index,
									 uint8_t out[JUKI_HASH_LEN],
									 char *err, size_t errlen);

/* MTH(D[lo:hi]) from stored nodes (lo < hi, lo a multiple of the split). */
extern bool juki_merkle_range_root(JukiHasher *h, juki_merkle_node_fn node, void *arg,
								   uint64_t lo, uint64_t hi,
								   uint8_t out[JUKI_HASH_LEN],
								   char *err, size_t errlen);
/* Root of the tree of size n (n = 0 gives the empty root). */
extern bool juki_merkle_tree_root(JukiHasher *h, juki_merkle_node_fn node, void *arg,
								  uint64_t n, uint8_t out[JUKI_HASH_LEN],
								  char *err, size_t errlen);

/* PATH(index, D[n]) (RFC 6962 2.1.1), leaf's sibling first; index < n. */
extern bool juki_merkle_inclusion_proof(JukiHasher *h, juki_merkle_node_fn node, void *arg,
										uint64_t index, uint64_t n,
										uint8_t proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN],
										int *nproof, char *err, size_t errlen);
/* PROOF(m, D[n]) (RFC 6962 2.1.2); empty when m = 0 or m = n; m <= n. */
extern bool juki_merkle_consistency_proof(JukiHasher *h, juki_merkle_node_fn node, void *arg,
										  uint64_t m, uint64_t n,
										  uint8_t proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN],
										  int *nproof, char *err, size_t errlen);

/*
 * Only the node requests that the inclusion proof of index a (consistency:
 * the proof from size a) in a tree of size n would make, without hashing:
 * lets a storage layer plan its reads.
 */
extern bool juki_merkle_proof_nodes(juki_merkle_node_fn node, void *arg, bool consistency,
									uint64_t a, uint64_t n, char *err, size_t errlen);

/*
 * Verification, RFC 9162 2.1.3.2 and 2.1.4.2.  Return false with a reason
 * when the proof does not verify (or on an OpenSSL failure).
 */
extern bool juki_merkle_verify_inclusion(JukiHasher *h, uint64_t index, uint64_t n,
										 const uint8_t leaf[JUKI_HASH_LEN],
										 const uint8_t (*proof)[JUKI_HASH_LEN], int nproof,
										 const uint8_t root[JUKI_HASH_LEN],
										 char *err, size_t errlen);
extern bool juki_merkle_verify_consistency(JukiHasher *h, uint64_t m, uint64_t n,
										   const uint8_t old_root[JUKI_HASH_LEN],
										   const uint8_t new_root[JUKI_HASH_LEN],
										   const uint8_t (*proof)[JUKI_HASH_LEN], int nproof,
										   char *err, size_t errlen);

/* ---------------------------------------------------------------------
 * C2SP tlog-tiles, height 8.  Tile (L, N) holds the hashes of nodes
 * (8L, 256N + i), i = 0 .. W-1; full tiles have W = 256 (8,192 bytes),
 * the rightmost tile of a level may be partial (1 <= W <= 255).  Nodes at
 * levels 8L+1 .. 8L+7 are not stored: they are hashed from the tile.
 * ---------------------------------------------------------------------
 */
#define JUKI_TILE_HEIGHT	8
#define JUKI_TILE_WIDTH		256
#define JUKI_TILE_MAX_LEVEL	7		/* 8 * 7 = 56: levels above hold < 2^63 */
#define JUKI_TILE_PATH_MAX	96

typedef struct JukiTile
{
	int			level;			/* L */
	uint64_t	index;			/* N */
	int			width;			/* W, 1 .. 256 */
} JukiTile;

/* Width of tile (L, N) in a tree of size n: 0 if it is empty there. */
extern int	juki_tile_width(int level, uint64_t index, uint64_t n);

/*
 * The tile of a tree of size n that node (level, index) is computed from,
 * and which of its hashes: [*first, *first + *count).  Fails if the node is
 * not complete in a tree of size n.
 */
extern bool juki_tile_for_node(int level, uint64_t index, uint64_t n,
							   JukiTile *tile, int *first, int *count,
							   char *err, size_t errlen);

/* Node (level, index) from the hashes of its tile (width * 32 bytes). */
extern bool juki_tile_node_hash(JukiHasher *h, const JukiTile *tile,
								const uint8_t *data, size_t datalen,
								int level, uint64_t index,
								uint8_t out[JUKI_HASH_LEN],
								char *err, size_t errlen);

/*
 * "tile/<L>/<N>[.p/<W>]" (entries: "tile/entries/<N>[.p/<W>]", level < 0),
 * N in the x001/x234/067 form.  Parsing is strict: no leading zeros, L <=
 * 63, W 1..255.
 */
extern bool juki_tile_path(const JukiTile *tile, bool entries, char *out, size_t outlen,
						   char *err, size_t errlen);
extern bool juki_tile_parse_path(const char *path, size_t len, JukiTile *tile,
								 bool *entries, char *err, size_t errlen);

/*
 * Tiles that a storage layer reads to answer the node requests of a proof
 * (the tiles of juki_tile_for_node for each node the generator asks for),
 * in order, without duplicates.  For a tree root, pass m = n (consistency).
 */
#define JUKI_TILE_MAX_PROOF_TILES	64
extern bool juki_tiles_for_inclusion(uint64_t index, uint64_t n, JukiTile *tiles,
									 int maxtiles, int *ntiles, char *err, size_t errlen);
extern bool juki_tiles_for_consistency(uint64_t m, uint64_t n, JukiTile *tiles,
									   int maxtiles, int *ntiles, char *err, size_t errlen);

/*
 * A node callback backed by tiles: fetch returns the hashes of tile
 * (level, index, width) into buf (width * 32 bytes).  Pass
 * juki_tile_node_fn with a JukiTileReader as arg to the proof generators.
 */
typedef bool (*juki_tile_fetch_fn) (void *arg, const JukiTile *tile, uint8_t *buf,
									char *err, size_t errlen);
typedef struct JukiTileReader
{
	JukiHasher *hasher;
	uint64_t	tree_size;
	juki_tile_fetch_fn fetch;
	void	   *fetch_arg;
	/* one-tile cache: a proof asks for several nodes of the same tile */
	bool		cached;
	JukiTile	cache_tile;
	uint8_t		cache[JUKI_TILE_WIDTH * JUKI_HASH_LEN];
} JukiTileReader;

extern bool juki_tile_node_fn(void *arg, int level, uint64_t index,
							  uint8_t out[JUKI_HASH_LEN], char *err, size_t errlen);

#endif							/* JUKI_FORMAT_MERKLE_H */
