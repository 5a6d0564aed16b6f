/*
 * libFuzzer target: the proof side of src/format (merkle.c, tile.c,
 * witness.c) reads proofs, tile paths, add-checkpoint requests and
 * tlog-proof files from outside.  Any bytes: no crash, no leak, no OpenSSL
 * error left; accepted texts print back to the same bytes; and against a
 * real tree of up to 64 leaves, a fuzzed proof verifies only if it is the
 * proof the generator makes (anything else would be a SHA-256 collision).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "format/merkle.h"
#include "format/note.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NLEAVES 64

typedef struct Tree
{
	uint8_t		node[7][NLEAVES][JUKI_HASH_LEN];	/* node[l][i] = (l, i) */
	uint8_t		root[NLEAVES + 1][JUKI_HASH_LEN];
	uint64_t	limit;
} Tree;

static bool
tree_node(void *arg, int level, uint64_t index, uint8_t out[JUKI_HASH_LEN],
		  char *err, size_t errlen)
{
	Tree	   *t = (Tree *) arg;

	(void) err;
	(void) errlen;
	if (level < 0 || level > 6 || index >= (t->limit >> level))
		abort();				/* the generator asked for an incomplete node */
	memcpy(out, t->node[level][index], JUKI_HASH_LEN);
	return true;
}

static void
tree_build(JukiHasher *h, Tree *t)
{
	char		err[256];
	int			l;
	uint64_t	i;

	for (i = 0; i < NLEAVES; i++)
	{
		uint8_t		e = (uint8_t) i;

		if (!juki_merkle_leaf_hash(h, &e, 1, t->node[0][i], err, sizeof(err)))
			abort();
	}
	for (l = 1; l < 7; l++)
		for (i = 0; i < (NLEAVES >> l); i++)
			if (!juki_merkle_node_hash(h, t->node[l - 1][2 * i], t->node[l - 1][2 * i + 1],
									   t->node[l][i], err, sizeof(err)))
				abort();
	for (i = 0; i <= NLEAVES; i++)
	{
		t->limit = i;
		if (!juki_merkle_tree_root(h, tree_node, t, i, t->root[i], err, sizeof(err)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	char		err[256];
	char		out[JUKI_NOTE_MAX_LEN + 8192];
	size_t		len;
	JukiHasher	h;
	JukiWitnessRequest req;
	JukiTlogProof tp;
	JukiTile	tile;
	bool		entries;
	static Tree t;
	static bool built = false;

	if (!juki_hasher_init(&h, err, sizeof(err)))
		abort();
	if (!built)
	{
		tree_build(&h, &t);
		built = true;
	}

	/* texts: canonical when accepted */
	if (juki_witness_parse_request(s, size, &req, err, sizeof(err)))
	{
		JukiWitnessLog log;
		JukiNoteKey key;
		JukiCheckpoint cp;
		int			idx;
		uint64_t	known;
		static const char vkey[] =
		"example.lg.jp/juki-oplog+229b2fe6+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

		if (!juki_witness_format_request(req.old_size, (const uint8_t (*)[32]) req.proof,
										 req.nproof, req.note, req.note_len, out, sizeof(out),
										 &len, err, sizeof(err)) ||
			len != size || memcmp(out, s, size) != 0)
			abort();
		if (!juki_note_key_parse(vkey, strlen(vkey), &key, err, sizeof(err)))
			abort();
		memset(&log, 0, sizeof(log));
		log.origin = key.name;
		log.origin_len = key.name_len;
		log.keys = &key;
		log.nkeys = 1;
		log.has_state = true;
		log.size = 2;
		memcpy(log.root, t.root[2], JUKI_HASH_LEN);
		(void) juki_witness_check(&h, &log, 1, &req, &cp, &idx, &known, err, sizeof(err));
	}
	if (juki_tlog_proof_parse(s, size, &tp, err, sizeof(err)))
	{
		if (!juki_tlog_proof_format(&tp, out, sizeof(out), &len, err, sizeof(err)) ||
			len != size || memcmp(out, s, size) != 0)
			abort();
	}
	if (juki_tile_parse_path(s, size, &tile, &entries, err, sizeof(err)))
	{
		if (!juki_tile_path(&tile, entries, out, sizeof(out), err, sizeof(err)) ||
			strlen(out) != size || memcmp(out, s, size) != 0)
			abort();
	}

	/* binary: two sizes, then proof hashes */
	if (size >= 2)
	{
		uint64_t	a = data[0] % (NLEAVES + 1);
		uint64_t	n = data[1] % (NLEAVES + 1);
		int			np = (int) ((size - 2) / JUKI_HASH_LEN);
		const uint8_t (*proof)[JUKI_HASH_LEN] = (const uint8_t (*)[JUKI_HASH_LEN]) (data + 2);
		uint8_t		gen[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
		uint8_t		aligned[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
		int			ng;

		if (np > JUKI_MERKLE_MAX_PROOF)
			np = JUKI_MERKLE_MAX_PROOF;
		memcpy(aligned, proof, (size_t) np * JUKI_HASH_LEN);
		t.limit = n;
		if (a < n)
		{
			if (!juki_merkle_inclusion_proof(&h, tree_node, &t, a, n, gen, &ng, err, sizeof(err)) ||
				!juki_merkle_verify_inclusion(&h, a, n, t.node[0][a], (const uint8_t (*)[32]) gen,
											  ng, t.root[n], err, sizeof(err)))
				abort();
			if (juki_merkle_verify_inclusion(&h, a, n, t.node[0][a],
											 (const uint8_t (*)[32]) aligned, np, t.root[n],
											 err, sizeof(err)) &&
				(np != ng || memcmp(aligned, gen, (size_t) np * JUKI_HASH_LEN) != 0))
				abort();
		}
		if (a <= n)
		{
			if (!juki_merkle_consistency_proof(&h, tree_node, &t, a, n, gen, &ng, err, sizeof(err)) ||
				!juki_merkle_verify_consistency(&h, a, n, t.root[a], t.root[n],
												(const uint8_t (*)[32]) gen, ng, err, sizeof(err)))
				abort();
			if (juki_merkle_verify_consistency(&h, a, n, t.root[a], t.root[n],
											   (const uint8_t (*)[32]) aligned, np,
											   err, sizeof(err)) &&
				(np != ng || memcmp(aligned, gen, (size_t) np * JUKI_HASH_LEN) != 0))
				abort();
		}
		/* and arbitrary sizes up to 2^63 - 1 must just answer */
		if (size >= 18)
		{
			uint64_t	m = 0,
						big = 0;
			int			i;

			for (i = 0; i < 8; i++)
			{
				m = (m << 8) | data[2 + i];
				big = (big << 8) | data[10 + i];
			}
			(void) juki_merkle_verify_inclusion(&h, m, big, t.root[1],
												(const uint8_t (*)[32]) aligned, np,
												t.root[2], err, sizeof(err));
			(void) juki_merkle_verify_consistency(&h, m, big, t.root[1], t.root[2],
												  (const uint8_t (*)[32]) aligned, np,
												  err, sizeof(err));
			(void) juki_tile_width((int) (data[2] % 9), m, big);
			{
				int			first,
							count;

				(void) juki_tile_for_node((int) (data[3] % 64), m >> (data[4] % 64), big, &tile,
										  &first, &count, err, sizeof(err));
			}
		}
	}
	juki_hasher_free(&h);
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
