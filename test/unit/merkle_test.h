/*-------------------------------------------------------------------------
 * merkle_test.h
 *		What the two halves of the Merkle/note unit test share: TAP output
 *		and small helpers.  merkle_test.c holds main and the tree and proof
 *		tests; tile_test.c the appender and tile tests; note_test.c the
 *		signed-note, checkpoint, cosignature and tlog-proof tests;
 *		witness_test.c the witness check.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_MERKLE_TEST_H
#define JUKI_MERKLE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/merkle.h"
#include "format/note.h"

extern void ok(bool cond, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void diag(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void unhex_or_die(const char *hex, uint8_t *out, size_t n);
extern void tohex(const uint8_t *in, size_t n, char *out);
extern JukiHasher *test_hasher(void);

/* An in-memory tree whose perfect nodes back juki_merkle_node_fn. */
typedef struct MemTree
{
	uint64_t	n;
	uint64_t	limit;			/* requests must be complete within this size */
	long		requests;
	uint8_t   (*level[64])[JUKI_HASH_LEN];	/* level[l][i] = node (l, i) */
	uint64_t	count[64];
} MemTree;

extern void memtree_build(MemTree *t, const uint8_t (*leaves)[JUKI_HASH_LEN], uint64_t n);
extern void memtree_free(MemTree *t);
extern bool memtree_node(void *arg, int level, uint64_t index, uint8_t out[JUKI_HASH_LEN],
						 char *err, size_t errlen);

extern void *xmalloc(size_t n);
extern void must(bool cond, const char *what, const char *err);
extern void naive_mth(const uint8_t (*leaves)[JUKI_HASH_LEN], uint64_t n,
					  uint8_t out[JUKI_HASH_LEN]);
extern uint8_t (*synthetic_leaves(uint64_t n))[JUKI_HASH_LEN];

extern void seed_range(uint8_t seed[32], int from);

extern void frontier_tests(void);
extern void tile_tests(void);
extern void note_tests(void);
extern void witness_tests(void);

#endif
