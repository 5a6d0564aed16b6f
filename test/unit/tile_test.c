/*-------------------------------------------------------------------------
 * tile_test.c
 *		Unit tests of the appender, independent ranges and hashing runs of
 *		entries (merkle.c) and of the tlog-tiles geometry (tile.c); linked
 *		into merkle_test, which prints the TAP plan.  Expected tile counts
 *		are C2SP tlog-tiles' own; roots come from merkle_test.c's naive MTH.
 *-------------------------------------------------------------------------
 */
#include "merkle_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The appender, merging independent ranges, and hashing a run of entries. */
void
frontier_tests(void)
{
	enum
	{
	N = 1000};
	uint8_t		(*lv)[JUKI_HASH_LEN] = synthetic_leaves(N);
	char		err[256];
	uint8_t		want[32];
	uint8_t		got[32];
	JukiMerkleFrontier a;
	JukiMerkleFrontier b;
	long		bad = 0;
	uint64_t	cut;
	uint64_t	i;
	char	   *buf = xmalloc(N * 16);
	size_t		off[N + 1];
	size_t		len = 0;
	uint8_t		(*hashed)[JUKI_HASH_LEN] = xmalloc(N * 32);

	naive_mth((const uint8_t (*)[32]) lv, N, want);
	/* cut at every multiple of 64, second half in chunks of <= 64 */
	for (cut = 0; cut <= N; cut += 64)
	{
		uint64_t	c;

		juki_frontier_init(&a);
		for (i = 0; i < cut; i++)
			if (!juki_frontier_append(test_hasher(), &a, lv[i], err, 256))
				bad++;
		for (c = cut; c < N; c += 64)
		{
			juki_frontier_init(&b);
			for (i = c; i < N && i < c + 64; i++)
				if (!juki_frontier_append(test_hasher(), &b, lv[i], err, 256))
					bad++;
			if (!juki_frontier_merge(test_hasher(), &a, &b, err, 256))
				bad++;
		}
		if (!juki_frontier_root(test_hasher(), &a, got, err, 256) || memcmp(got, want, 32) != 0 ||
			a.size != N)
			bad++;
	}
	ok(bad == 0, "ranges hashed apart in aligned chunks of 64 and merged give the root of 1000");
	juki_frontier_init(&a);
	juki_frontier_init(&b);
	for (i = 0; i < 3; i++)
		must(juki_frontier_append(test_hasher(), &a, lv[i], err, 256), "append", err);
	for (i = 0; i < 2; i++)
		must(juki_frontier_append(test_hasher(), &b, lv[i], err, 256), "append", err);
	ok(!juki_frontier_merge(test_hasher(), &a, &b, err, 256),
	   "merging a 2-leaf range after 3 leaves is refused (%s)", err);
	ok(!juki_frontier_append_subtree(test_hasher(), &a, 1, lv[0], err, 256) &&
	   juki_frontier_append_subtree(test_hasher(), &b, 1, lv[0], err, 256) && b.size == 4,
	   "a subtree of 2^k leaves is appended only at a multiple of 2^k");
	a.size = (uint64_t) INT64_MAX;
	ok(!juki_frontier_append(test_hasher(), &a, lv[0], err, 256),
	   "the appender stops at 2^63 - 1 leaves");

	/* one pass over entries laid end to end */
	for (i = 0; i < N; i++)
	{
		off[i] = len;
		len += (size_t) sprintf(buf + len, "entry %llu", (unsigned long long) i);
	}
	off[N] = len;
	juki_frontier_init(&a);
	ok(juki_merkle_hash_entries(test_hasher(), (const uint8_t *) buf, len, off, N, hashed, &a,
								err, 256) &&
	   memcmp(hashed, lv, N * 32) == 0 && juki_frontier_root(test_hasher(), &a, got, err, 256) &&
	   memcmp(got, want, 32) == 0,
	   "hash_entries gives every leaf hash and the root in one pass");
	juki_frontier_init(&a);
	juki_frontier_init(&b);
	ok(juki_merkle_hash_entries(test_hasher(), (const uint8_t *) buf, len, off, 512, NULL, &a,
								err, 256) &&
	   juki_merkle_hash_entries(test_hasher(), (const uint8_t *) buf, len, off + 512, N - 512, NULL,
								&b, err, 256) &&
	   juki_frontier_merge(test_hasher(), &a, &b, err, 256) &&
	   juki_frontier_root(test_hasher(), &a, got, err, 256) && memcmp(got, want, 32) == 0,
	   "two halves hashed independently (split at 512) and merged give the same root");
	juki_frontier_init(&a);
	off[5] = off[4] - 1;
	ok(!juki_merkle_hash_entries(test_hasher(), (const uint8_t *) buf, len, off, N, NULL, &a,
								 err, 256),
	   "entry offsets out of order are refused");
	off[5] = off[4];
	ok(!juki_merkle_hash_entries(test_hasher(), (const uint8_t *) buf, len - 1, off, N, NULL, &a,
								 err, 256),
	   "entry offsets past the buffer are refused");
	free(buf);
	free(hashed);
	free(lv);
}

/* Tiles served out of a MemTree: level L is the tree's level 8L. */
typedef struct TileStore
{
	MemTree    *t;
	uint64_t	size;
	JukiTile	fetched[256];
	int			nfetched;
	bool		bad;
} TileStore;

static bool
store_fetch(void *arg, const JukiTile *tile, uint8_t *buf, char *err, size_t errlen)
{
	TileStore  *s = (TileStore *) arg;
	int			lvl = tile->level * JUKI_TILE_HEIGHT;

	if (tile->width != juki_tile_width(tile->level, tile->index, s->size) ||
		tile->index * 256 + (uint64_t) tile->width > s->t->count[lvl])
	{
		s->bad = true;
		snprintf(err, errlen, "no such tile");
		return false;
	}
	if (s->nfetched < 256)
		s->fetched[s->nfetched++] = *tile;
	memcpy(buf, s->t->level[lvl][tile->index * 256], (size_t) tile->width * 32);
	return true;
}

static bool
tile_in(const JukiTile *t, const JukiTile *list, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (list[i].level == t->level && list[i].index == t->index && list[i].width == t->width)
			return true;
	return false;
}

void
tile_tests(void)
{
	JukiTile	t;
	bool		entries;
	char		path[JUKI_TILE_PATH_MAX];
	char		err[256];
	int			first;
	int			count;
	uint64_t	i;
	bool		good;
	static const char *const bad_paths[] = {
		"tile/0/x000/005", "tile/00/000", "tile/64/000", "tile/0/1234", "tile/0/000.p/0",
		"tile/0/000.p/256", "tile/0/000.p/012", "tile/0/x001", "tile/0/001/002", "tile/0/00",
		"tile/-1/000", "tile/0/000.p/", "tile/0/000/", "tiles/0/000", "tile/entries/x00/000",
		"tile/0/x922/x337/x203/x685/x477/x580/800"
	};

	/* the spec's size 70,000 */
	ok(juki_tile_width(0, 272, 70000) == 256 && juki_tile_width(0, 273, 70000) == 112 &&
	   juki_tile_width(0, 274, 70000) == 0 && juki_tile_width(1, 0, 70000) == 256 &&
	   juki_tile_width(1, 1, 70000) == 17 && juki_tile_width(2, 0, 70000) == 1 &&
	   juki_tile_width(3, 0, 70000) == 0,
	   "size 70000: 273 full level-0 tiles and one of 112, level 1 full + 17, level 2 width 1");
	ok(juki_tile_width(0, 0, 256) == 256 && juki_tile_width(1, 0, 256) == 1 &&
	   juki_tile_width(0, 1, 256) == 0,
	   "size 256: a full level-0 tile and a level-1 tile of width 1");
	ok(juki_tile_width(0, 0, 255) == 255 && juki_tile_width(1, 0, 255) == 0 &&
	   juki_tile_width(0, 1, 257) == 1 && juki_tile_width(0, 0, 257) == 256,
	   "sizes 255 and 257: partial tiles at the edge");
	ok(juki_tile_width(1, 0, 65536) == 256 && juki_tile_width(2, 0, 65536) == 1 &&
	   juki_tile_width(1, 1, 65536) == 0 && juki_tile_width(0, 255, 65536) == 256,
	   "size 65536: level 1 full, level 2 width 1");

	ok(juki_tile_for_node(0, 255, 256, &t, &first, &count, err, 256) && t.level == 0 &&
	   t.index == 0 && t.width == 256 && first == 255 && count == 1,
	   "leaf 255 is hash 255 of tile 0/0");
	ok(juki_tile_for_node(8, 0, 256, &t, &first, &count, err, 256) && t.level == 1 &&
	   t.index == 0 && t.width == 1 && first == 0 && count == 1,
	   "node (8, 0) at size 256 is hash 0 of tile 1/0 of width 1");
	ok(juki_tile_for_node(7, 1, 256, &t, &first, &count, err, 256) && t.level == 0 &&
	   t.index == 0 && first == 128 && count == 128,
	   "node (7, 1) is hashed from hashes 128..255 of tile 0/0");
	ok(juki_tile_for_node(0, 256, 257, &t, &first, &count, err, 256) && t.index == 1 &&
	   t.width == 1 && first == 0,
	   "leaf 256 at size 257 is in tile 0/1 of width 1");
	ok(juki_tile_for_node(16, 0, 65536, &t, &first, &count, err, 256) && t.level == 2 &&
	   t.width == 1 && juki_tile_for_node(15, 1, 65536, &t, &first, &count, err, 256) &&
	   t.level == 1 && first == 128 && count == 128,
	   "size 65536: node (16, 0) in tile 2/0, node (15, 1) from tile 1/0");
	ok(!juki_tile_for_node(0, 256, 256, &t, &first, &count, err, 256) &&
	   !juki_tile_for_node(8, 0, 255, &t, &first, &count, err, 256),
	   "nodes not complete at the size are refused");

	t.level = 0;
	t.index = 1234067;
	t.width = 256;
	ok(juki_tile_path(&t, false, path, sizeof(path), err, 256) &&
	   strcmp(path, "tile/0/x001/x234/067") == 0, "tile path: %s", path);
	t.level = 1;
	t.index = 0;
	t.width = 17;
	ok(juki_tile_path(&t, false, path, sizeof(path), err, 256) &&
	   strcmp(path, "tile/1/000.p/17") == 0, "partial tile path: %s", path);
	t.index = 5;
	t.width = 256;
	ok(juki_tile_path(&t, true, path, sizeof(path), err, 256) &&
	   strcmp(path, "tile/entries/005") == 0, "entry bundle path: %s", path);
	t.level = 2;
	t.index = 1000;
	ok(juki_tile_path(&t, false, path, sizeof(path), err, 256) &&
	   strcmp(path, "tile/2/x001/000") == 0, "tile path: %s", path);
	good = true;
	for (i = 0; i < 3000000; i += 997)
	{
		JukiTile	u = {(int) (i % 8), i * 1013, (int) (i % 256) + 1};
		JukiTile	v;
		bool		e = (i % 3 == 0);

		if (!juki_tile_path(&u, e, path, sizeof(path), err, 256) ||
			!juki_tile_parse_path(path, strlen(path), &v, &entries, err, 256) ||
			entries != e || v.index != u.index || v.width != u.width ||
			(!e && v.level != u.level))
			good = false;
	}
	ok(good, "tile paths parse back to their tiles");
	good = true;
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++)
		if (juki_tile_parse_path(bad_paths[i], strlen(bad_paths[i]), &t, &entries, err, 256))
		{
			diag("accepted %s", bad_paths[i]);
			good = false;
		}
	ok(good, "non-canonical or out-of-range tile paths are refused");

	/* proofs from tiles equal proofs from nodes; only the planned tiles are read */
	{
		enum
		{
		N = 70000};
		uint8_t		(*lv)[JUKI_HASH_LEN] = synthetic_leaves(N);
		MemTree		mt;
		TileStore	st;
		JukiTileReader rd;
		static const uint64_t sizes[] = {1, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70000};
		long		bad = 0;
		long		nproofs = 0;
		int			maxtiles = 0;
		size_t		si;

		memtree_build(&mt, (const uint8_t (*)[32]) lv, N);
		for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		{
			uint64_t	n = sizes[si];
			uint64_t	probes[] = {0, 1 % n, n / 2, n - 1, 255 % n, 256 % n, 65535 % n, 65536 % n};
			size_t		pi;

			for (pi = 0; pi < sizeof(probes) / sizeof(probes[0]); pi++)
			{
				uint64_t	a = probes[pi];
				uint8_t		p1[JUKI_MERKLE_MAX_PROOF][32];
				uint8_t		p2[JUKI_MERKLE_MAX_PROOF][32];
				JukiTile	plan[JUKI_TILE_MAX_PROOF_TILES];
				int			n1,
							n2,
							np,
							k,
							pass;

				for (pass = 0; pass < 2; pass++)
				{
					bool		cons = (pass == 1);

					memset(&st, 0, sizeof(st));
					st.t = &mt;
					st.size = n;
					memset(&rd, 0, sizeof(rd));
					rd.hasher = test_hasher();
					rd.tree_size = n;
					rd.fetch = store_fetch;
					rd.fetch_arg = &st;
					mt.limit = n;
					nproofs++;
					if (cons ?
						!(juki_merkle_consistency_proof(test_hasher(), memtree_node, &mt, a, n, p1, &n1, err, 256) &&
						  juki_merkle_consistency_proof(test_hasher(), juki_tile_node_fn, &rd, a, n, p2, &n2, err, 256) &&
						  juki_tiles_for_consistency(a, n, plan, JUKI_TILE_MAX_PROOF_TILES, &np, err, 256)) :
						!(juki_merkle_inclusion_proof(test_hasher(), memtree_node, &mt, a, n, p1, &n1, err, 256) &&
						  juki_merkle_inclusion_proof(test_hasher(), juki_tile_node_fn, &rd, a, n, p2, &n2, err, 256) &&
						  juki_tiles_for_inclusion(a, n, plan, JUKI_TILE_MAX_PROOF_TILES, &np, err, 256)))
					{
						diag("size %llu, %llu: %s", (unsigned long long) n, (unsigned long long) a, err);
						bad++;
						continue;
					}
					if (n1 != n2 || memcmp(p1, p2, (size_t) n1 * 32) != 0 || st.bad)
						bad++;
					for (k = 0; k < st.nfetched; k++)
						if (!tile_in(&st.fetched[k], plan, np))
							bad++;
					if (np > maxtiles)
						maxtiles = np;
				}
			}
		}
		ok(bad == 0, "%ld proofs read through tiles (sizes 1..70000) equal those from nodes and read only the planned tiles (at most %d)",
		   nproofs, maxtiles);
		{
			uint8_t		r1[32];
			uint8_t		r2[32];

			memset(&st, 0, sizeof(st));
			st.t = &mt;
			st.size = N;
			memset(&rd, 0, sizeof(rd));
			rd.hasher = test_hasher();
			rd.tree_size = N;
			rd.fetch = store_fetch;
			rd.fetch_arg = &st;
			naive_mth((const uint8_t (*)[32]) lv, N, r1);
			ok(juki_merkle_tree_root(test_hasher(), juki_tile_node_fn, &rd, N, r2, err, 256) &&
			   memcmp(r1, r2, 32) == 0, "tree head of 70000 from its tiles");
		}
		memtree_free(&mt);
		free(lv);
	}
}

