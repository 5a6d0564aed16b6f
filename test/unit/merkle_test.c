/*-------------------------------------------------------------------------
 * merkle_test.c
 *		Unit tests of src/format (merkle.c, tile.c; note_test.c covers
 *		note.c and witness.c), printing TAP.  Links the format library and
 *		libcrypto only:
 *
 *   gcc -std=gnu99 -Wall -Wextra -Werror -O2 -Isrc -o merkle_test \
 *       test/unit/merkle_test.c test/unit/tile_test.c test/unit/note_test.c \
 *       test/unit/witness_test.c \
 *       src/format/{merkle,tile,note,witness}.c -lcrypto
 *
 * Expected values come from outside this code: the Certificate
 * Transparency reference vectors (transparency-dev/merkle
 * proof/verify_test.go: leaves, tree heads, inclusion and consistency
 * proofs), the worked 7-leaf example of C2SP merkle-tree, the tile counts
 * of C2SP tlog-tiles, and python3's hashlib.  Everything else is checked
 * against an independent, naive MTH recursion written here.
 *-------------------------------------------------------------------------
 */
#include "merkle_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	ntests = 0;
static int	nfailed = 0;
static JukiHasher hasher;

void
ok(bool cond, const char *fmt,...)
{
	va_list		ap;

	ntests++;
	if (!cond)
		nfailed++;
	printf("%s %d - ", cond ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
unhex_or_die(const char *hex, uint8_t *out, size_t n)
{
	size_t		i;

	if (strlen(hex) != 2 * n)
	{
		fprintf(stderr, "bad hex in test: %s\n", hex);
		exit(2);
	}
	for (i = 0; i < n; i++)
	{
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
		{
			fprintf(stderr, "bad hex in test: %s\n", hex);
			exit(2);
		}
		out[i] = (uint8_t) v;
	}
}

void
tohex(const uint8_t *in, size_t n, char *out)
{
	size_t		i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
	out[2 * n] = '\0';
}

JukiHasher *
test_hasher(void)
{
	return &hasher;
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

void
must(bool cond, const char *what, const char *err)
{
	if (!cond)
	{
		fprintf(stderr, "test setup failed: %s: %s\n", what, err);
		exit(2);
	}
}

void
memtree_build(MemTree *t, const uint8_t (*leaves)[JUKI_HASH_LEN], uint64_t n)
{
	char		err[256];
	int			l;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->limit = n;
	t->count[0] = n;
	t->level[0] = xmalloc(n * JUKI_HASH_LEN);
	memcpy(t->level[0], leaves, n * JUKI_HASH_LEN);
	for (l = 1; l < 64 && t->count[l - 1] >= 2; l++)
	{
		uint64_t	i;

		t->count[l] = t->count[l - 1] / 2;
		t->level[l] = xmalloc(t->count[l] * JUKI_HASH_LEN);
		for (i = 0; i < t->count[l]; i++)
			must(juki_merkle_node_hash(&hasher, t->level[l - 1][2 * i],
									   t->level[l - 1][2 * i + 1], t->level[l][i],
									   err, sizeof(err)), "node hash", err);
	}
}

void
memtree_free(MemTree *t)
{
	int			l;

	for (l = 0; l < 64; l++)
		free(t->level[l]);
	memset(t, 0, sizeof(*t));
}

bool
memtree_node(void *arg, int level, uint64_t index, uint8_t out[JUKI_HASH_LEN],
			 char *err, size_t errlen)
{
	MemTree    *t = (MemTree *) arg;

	t->requests++;
	if (level < 0 || level > 62 || index >= (t->limit >> level) || index >= t->count[level])
	{
		snprintf(err, errlen, "node (%d, %llu) is not complete in size %llu", level,
				 (unsigned long long) index, (unsigned long long) t->limit);
		return false;
	}
	memcpy(out, t->level[level][index], JUKI_HASH_LEN);
	return true;
}

/* The definition of MTH, recursively, over leaf hashes: the oracle. */
void
naive_mth(const uint8_t (*leaves)[JUKI_HASH_LEN], uint64_t n, uint8_t out[JUKI_HASH_LEN])
{
	uint8_t		l[JUKI_HASH_LEN];
	uint8_t		r[JUKI_HASH_LEN];
	uint64_t	k = 1;
	char		err[256];

	if (n == 0)
	{
		memcpy(out, juki_merkle_empty_root, JUKI_HASH_LEN);
		return;
	}
	if (n == 1)
	{
		memcpy(out, leaves[0], JUKI_HASH_LEN);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	naive_mth(leaves, k, l);
	naive_mth(leaves + k, n - k, r);
	must(juki_merkle_node_hash(&hasher, l, r, out, err, sizeof(err)), "node", err);
}

/* Leaf hashes of the synthetic entries "entry <i>". */
uint8_t (*
synthetic_leaves(uint64_t n))[JUKI_HASH_LEN]
{
	uint8_t		(*lv)[JUKI_HASH_LEN] = xmalloc(n * JUKI_HASH_LEN);
	uint64_t	i;
	char		err[256];

	for (i = 0; i < n; i++)
	{
		char		e[32];
		int			len = snprintf(e, sizeof(e), "entry %llu", (unsigned long long) i);

		must(juki_merkle_leaf_hash(&hasher, e, (size_t) len, lv[i], err, sizeof(err)),
			 "leaf", err);
	}
	return lv;
}

/* ------------------------------------------------------------------ */
/* RFC 6962 reference vectors (Certificate Transparency tests)        */
/* ------------------------------------------------------------------ */

static const char *const ct_leaves_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f"
};
static const char *const ct_roots[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

typedef struct ProofVector
{
	uint64_t	a;				/* leaf index, or old size */
	uint64_t	n;
	int			len;
	const char *hex[3];
} ProofVector;

/* proof/verify_test.go, leaf numbers there are 1-based */
static const ProofVector ct_inclusion[] = {
	{0, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5, 8, 3, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
	{1, 5, 3, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};
static const ProofVector ct_consistency[] = {
	{1, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{6, 8, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 5, 2, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	{6, 7, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static uint8_t ct_leaf[8][JUKI_HASH_LEN];
static uint8_t ct_root[8][JUKI_HASH_LEN];

static void
test_hashing(void)
{
	uint8_t		h[JUKI_HASH_LEN];
	char		err[256];
	char		hex[65];
	bool		good = true;
	int			i;
	static const uint64_t split_in[] = {2, 3, 4, 5, 6, 7, 8, 9, 1000, UINT64_C(1) << 40,
	(UINT64_C(1) << 62) + 1, (uint64_t) INT64_MAX};
	static const uint64_t split_out[] = {1, 2, 2, 4, 4, 4, 4, 8, 512, UINT64_C(1) << 39,
	UINT64_C(1) << 62, UINT64_C(1) << 62};

	tohex(juki_merkle_empty_root, JUKI_HASH_LEN, hex);
	ok(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
	   "empty tree root is SHA-256 of the empty string");
	for (i = 0; i < 8; i++)
	{
		uint8_t		data[16];
		size_t		len = strlen(ct_leaves_hex[i]) / 2;

		unhex_or_die(ct_leaves_hex[i], data, len);
		if (!juki_merkle_leaf_hash(&hasher, data, len, ct_leaf[i], err, sizeof(err)))
			good = false;
		unhex_or_die(ct_roots[i], ct_root[i], JUKI_HASH_LEN);
	}
	ok(good && memcmp(ct_leaf[0], ct_root[0], JUKI_HASH_LEN) == 0,
	   "leaf hash of the empty entry is SHA-256(0x00) (6e340b9c...)");
	ok(juki_merkle_node_hash(&hasher, ct_leaf[0], ct_leaf[1], h, err, sizeof(err)) &&
	   memcmp(h, ct_root[1], JUKI_HASH_LEN) == 0,
	   "node hash SHA-256(0x01 || l || r) gives the 2-leaf reference root");
	for (i = 1; i <= 8; i++)
	{
		JukiMerkleFrontier f;
		uint8_t		r1[JUKI_HASH_LEN];
		uint8_t		r2[JUKI_HASH_LEN];
		int			j;
		bool		r = juki_merkle_root_of(&hasher, (const uint8_t (*)[32]) ct_leaf,
											(uint64_t) i, r1, err, sizeof(err));

		juki_frontier_init(&f);
		for (j = 0; j < i; j++)
			r = r && juki_frontier_append(&hasher, &f, ct_leaf[j], err, sizeof(err));
		r = r && juki_frontier_root(&hasher, &f, r2, err, sizeof(err));
		ok(r && memcmp(r1, ct_root[i - 1], 32) == 0 && memcmp(r2, ct_root[i - 1], 32) == 0,
		   "reference tree head for %d leaves (root_of and the appender)", i);
	}
	good = true;
	for (i = 0; i < (int) (sizeof(split_in) / sizeof(split_in[0])); i++)
		if (juki_merkle_split(split_in[i]) != split_out[i])
			good = false;
	ok(good, "split is the largest power of two below n, not the midpoint");
}

/* Generated proofs against the reference vectors, then their tampering. */
static void
test_reference_proofs(void)
{
	MemTree		t;
	char		err[256];
	size_t		i;

	memtree_build(&t, (const uint8_t (*)[32]) ct_leaf, 8);
	for (i = 0; i < sizeof(ct_inclusion) / sizeof(ct_inclusion[0]); i++)
	{
		const ProofVector *v = &ct_inclusion[i];
		uint8_t		want[3][JUKI_HASH_LEN];
		uint8_t		got[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
		int			n;
		int			k;
		bool		r;

		for (k = 0; k < v->len; k++)
			unhex_or_die(v->hex[k], want[k], JUKI_HASH_LEN);
		t.limit = v->n;
		r = juki_merkle_inclusion_proof(&hasher, memtree_node, &t, v->a, v->n, got, &n,
										err, sizeof(err));
		ok(r && n == v->len && memcmp(got, want, (size_t) n * 32) == 0,
		   "inclusion proof of leaf %llu in %llu is the reference one",
		   (unsigned long long) v->a, (unsigned long long) v->n);
		ok(juki_merkle_verify_inclusion(&hasher, v->a, v->n, ct_leaf[v->a],
										(const uint8_t (*)[32]) want, v->len,
										ct_root[v->n - 1], err, sizeof(err)),
		   "reference inclusion proof (%llu, %llu) verifies",
		   (unsigned long long) v->a, (unsigned long long) v->n);
	}
	for (i = 0; i < sizeof(ct_consistency) / sizeof(ct_consistency[0]); i++)
	{
		const ProofVector *v = &ct_consistency[i];
		uint8_t		want[3][JUKI_HASH_LEN];
		uint8_t		got[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
		int			n;
		int			k;
		bool		r;

		for (k = 0; k < v->len; k++)
			unhex_or_die(v->hex[k], want[k], JUKI_HASH_LEN);
		t.limit = v->n;
		r = juki_merkle_consistency_proof(&hasher, memtree_node, &t, v->a, v->n, got, &n,
										  err, sizeof(err));
		ok(r && n == v->len && memcmp(got, want, (size_t) n * 32) == 0,
		   "consistency proof %llu -> %llu is the reference one",
		   (unsigned long long) v->a, (unsigned long long) v->n);
		ok(juki_merkle_verify_consistency(&hasher, v->a, v->n, ct_root[v->a - 1],
										  ct_root[v->n - 1], (const uint8_t (*)[32]) want,
										  v->len, err, sizeof(err)),
		   "reference consistency proof %llu -> %llu verifies",
		   (unsigned long long) v->a, (unsigned long long) v->n);
	}
	memtree_free(&t);
}

/* got[0..n) is exactly the cnt hashes given after cnt. */
static bool
proof_is(uint8_t (*got)[JUKI_HASH_LEN], int n, int cnt,...)
{
	va_list		ap;
	bool		same = (n == cnt);
	int			x;

	va_start(ap, cnt);
	for (x = 0; x < cnt; x++)
	{
		const uint8_t *w = va_arg(ap, const uint8_t *);

		if (same && memcmp(got[x], w, JUKI_HASH_LEN) != 0)
			same = false;
	}
	va_end(ap);
	return same;
}

/*
 * C2SP merkle-tree's 7-leaf example, by its labels: a..g leaves,
 * h = (a,b), i = (c,d), j = (e,f), k = (h,i), l = (j,g).
 */
static void
test_c2sp_example(void)
{
	MemTree		t;
	uint8_t		lv[7][JUKI_HASH_LEN];
	uint8_t		h[32], i_[32], j[32], k[32], l[32];
	uint8_t		got[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
	char		err[256];
	int			n;
	int			x;

	for (x = 0; x < 7; x++)
	{
		uint8_t		d = (uint8_t) x;

		must(juki_merkle_leaf_hash(&hasher, &d, 1, lv[x], err, sizeof(err)), "leaf", err);
	}
	must(juki_merkle_node_hash(&hasher, lv[0], lv[1], h, err, sizeof(err)) &&
		 juki_merkle_node_hash(&hasher, lv[2], lv[3], i_, err, sizeof(err)) &&
		 juki_merkle_node_hash(&hasher, lv[4], lv[5], j, err, sizeof(err)) &&
		 juki_merkle_node_hash(&hasher, h, i_, k, err, sizeof(err)) &&
		 juki_merkle_node_hash(&hasher, j, lv[6], l, err, sizeof(err)), "labels", err);
	memtree_build(&t, (const uint8_t (*)[32]) lv, 7);
	ok(juki_merkle_inclusion_proof(&hasher, memtree_node, &t, 0, 7, got, &n, err, 256) &&
	   proof_is(got, n, 3, lv[1], i_, l), "C2SP example: d[0] in 7 is [b, i, l]");
	ok(juki_merkle_inclusion_proof(&hasher, memtree_node, &t, 3, 7, got, &n, err, 256) &&
	   proof_is(got, n, 3, lv[2], h, l), "C2SP example: d[3] in 7 is [c, h, l]");
	ok(juki_merkle_inclusion_proof(&hasher, memtree_node, &t, 4, 7, got, &n, err, 256) &&
	   proof_is(got, n, 3, lv[5], lv[6], k), "C2SP example: d[4] in 7 is [f, g, k]");
	ok(juki_merkle_inclusion_proof(&hasher, memtree_node, &t, 6, 7, got, &n, err, 256) &&
	   proof_is(got, n, 2, j, k), "C2SP example: d[6] in 7 is [j, k]");
	ok(juki_merkle_consistency_proof(&hasher, memtree_node, &t, 3, 7, got, &n, err, 256) &&
	   proof_is(got, n, 4, lv[2], lv[3], h, l), "C2SP example: 3 -> 7 is [c, d, h, l]");
	ok(juki_merkle_consistency_proof(&hasher, memtree_node, &t, 4, 7, got, &n, err, 256) &&
	   proof_is(got, n, 1, l), "C2SP example: 4 -> 7 is [l]");
	ok(juki_merkle_consistency_proof(&hasher, memtree_node, &t, 6, 7, got, &n, err, 256) &&
	   proof_is(got, n, 3, j, lv[6], k), "C2SP example: 6 -> 7 is [j, g, k]");
	memtree_free(&t);
}

static const uint8_t some_hash[JUKI_HASH_LEN] = {0xab, 0xac, 0xab, 0xa0, [31] = 0x56};

/*
 * Number of corrupted variants of a valid inclusion proof that still
 * verify (should be 0): wrong index/size, wrong leaf or root, extra or
 * missing elements, one flipped bit in each element.  (A size of n + 1 is
 * no such probe: where the paths of n and n + 1 have one shape the same
 * proof leads to the same root; the signed size binds n.)
 */
static int
inclusion_tamper(uint64_t index, uint64_t n, const uint8_t leaf[32],
				 uint8_t (*proof)[32], int np, const uint8_t root[32])
{
	uint8_t		w[JUKI_MERKLE_MAX_PROOF + 1][JUKI_HASH_LEN];
	char		err[256];
	int			bad = 0;
	int			x;
	const uint8_t (*p)[32] = (const uint8_t (*)[32]) proof;

#define V(i_, n_, l_, p_, c_, r_) \
	do { if (juki_merkle_verify_inclusion(&hasher, i_, n_, l_, p_, c_, r_, err, sizeof(err))) { bad++; if (getenv("TDEBUG")) diag("incl probe line %d idx %llu n %llu", __LINE__, (unsigned long long) index, (unsigned long long) n);} } while (0)
	V(index - 1, n, leaf, p, np, root);
	V(index + 1, n, leaf, p, np, root);
	V(index ^ 2, n, leaf, p, np, root);
	V(index, n * 2, leaf, p, np, root);
	V(index, n / 2, leaf, p, np, root);
	V(index, n, some_hash, p, np, root);
	V(index, n, leaf, p, np, juki_merkle_empty_root);
	V(index, n, leaf, p, np, some_hash);
	memcpy(w, proof, (size_t) np * 32);
	memcpy(w[np], root, 32);
	V(index, n, leaf, (const uint8_t (*)[32]) w, np + 1, root);	/* trailing root */
	memcpy(w[0], root, 32);
	memcpy(w + 1, proof, (size_t) np * 32);
	V(index, n, leaf, (const uint8_t (*)[32]) w, np + 1, root);	/* preceding root */
	if (np > 0)
		V(index, n, leaf, p, np - 1, root);	/* removed component */
	if (np > 1)
	{
		memcpy(w[0], proof[0], 32);
		memcpy(w[1], some_hash, 32);
		memcpy(w + 2, proof + 1, (size_t) (np - 1) * 32);
		V(index, n, leaf, (const uint8_t (*)[32]) w, np + 1, root);	/* inserted */
	}
	for (x = 0; x < np; x++)
	{
		memcpy(w, proof, (size_t) np * 32);
		w[x][0] ^= 8;
		V(index, n, leaf, (const uint8_t (*)[32]) w, np, root);
	}
#undef V
	return bad;
}

/* The same for consistency proofs (transparency-dev's corruptions). */
static int
consistency_tamper(uint64_t m, uint64_t n, const uint8_t r1[32], const uint8_t r2[32],
				   uint8_t (*proof)[32], int np)
{
	uint8_t		w[JUKI_MERKLE_MAX_PROOF + 1][JUKI_HASH_LEN];
	char		err[256];
	int			bad = 0;
	int			x;
	const uint8_t (*p)[32] = (const uint8_t (*)[32]) proof;

#define V(m_, n_, a_, b_, p_, c_) \
	do { if (juki_merkle_verify_consistency(&hasher, m_, n_, a_, b_, p_, c_, err, sizeof(err))) { bad++; if (getenv("TDEBUG")) diag("cons probe line %d m %llu n %llu", __LINE__, (unsigned long long) m, (unsigned long long) n);} } while (0)
	V(m - 1, n, r1, r2, p, np);
	V(m + 1, n, r1, r2, p, np);
	V(m ^ 2, n, r1, r2, p, np);
	V(m, n * 2, r1, r2, p, np);
	V(m, n / 2, r1, r2, p, np);
	V(m, n, some_hash, r2, p, np);
	V(m, n, r1, some_hash, p, np);
	V(m, n, r2, r1, p, np);
	V(m, n, r1, r2, p, 0);
	memcpy(w, proof, (size_t) np * 32);
	memcpy(w[np], r1, 32);
	V(m, n, r1, r2, (const uint8_t (*)[32]) w, np + 1);
	memcpy(w[np], r2, 32);
	V(m, n, r1, r2, (const uint8_t (*)[32]) w, np + 1);
	memcpy(w + 1, proof, (size_t) np * 32);
	memcpy(w[0], r1, 32);
	V(m, n, r1, r2, (const uint8_t (*)[32]) w, np + 1);
	memcpy(w[0], r2, 32);
	V(m, n, r1, r2, (const uint8_t (*)[32]) w, np + 1);
	memcpy(w[0], proof[0], 32);
	V(m, n, r1, r2, (const uint8_t (*)[32]) w, np + 1);
	V(m, n, r1, r2, p, np - 1);
	for (x = 0; x < np; x++)
	{
		memcpy(w, proof, (size_t) np * 32);
		w[x][0] ^= 16;
		V(m, n, r1, r2, (const uint8_t (*)[32]) w, np);
	}
#undef V
	return bad;
}

static void
test_reference_tamper(void)
{
	size_t		i;
	int			bad = 0;

	for (i = 0; i < sizeof(ct_inclusion) / sizeof(ct_inclusion[0]); i++)
	{
		uint8_t		p[3][32];
		int			k;

		for (k = 0; k < ct_inclusion[i].len; k++)
			unhex_or_die(ct_inclusion[i].hex[k], p[k], 32);
		bad += inclusion_tamper(ct_inclusion[i].a, ct_inclusion[i].n,
								ct_leaf[ct_inclusion[i].a], p, ct_inclusion[i].len,
								ct_root[ct_inclusion[i].n - 1]);
	}
	ok(bad == 0, "no corruption of a reference inclusion proof verifies (%d did)", bad);
	bad = 0;
	for (i = 0; i < sizeof(ct_consistency) / sizeof(ct_consistency[0]); i++)
	{
		uint8_t		p[3][32];
		int			k;

		for (k = 0; k < ct_consistency[i].len; k++)
			unhex_or_die(ct_consistency[i].hex[k], p[k], 32);
		bad += consistency_tamper(ct_consistency[i].a, ct_consistency[i].n,
								  ct_root[ct_consistency[i].a - 1],
								  ct_root[ct_consistency[i].n - 1], p, ct_consistency[i].len);
	}
	ok(bad == 0, "no corruption of a reference consistency proof verifies (%d did)", bad);
}

/* Sizes 0, equal sizes, index n-1, and the other edges of the algorithms. */
static void
test_edges(void)
{
	char		err[256];
	uint8_t		p[JUKI_MERKLE_MAX_PROOF][32];
	uint8_t		one[1][32];
	int			n;
	MemTree		t;

	memcpy(one[0], juki_merkle_empty_root, 32);
	ok(!juki_merkle_verify_inclusion(&hasher, 0, 0, ct_leaf[0], NULL, 0, ct_leaf[0], err, 256),
	   "inclusion in the empty tree is refused");
	ok(juki_merkle_verify_inclusion(&hasher, 0, 1, ct_leaf[0], NULL, 0, ct_leaf[0], err, 256),
	   "a one-leaf tree: empty proof, root is the leaf hash");
	ok(!juki_merkle_verify_inclusion(&hasher, 0, 1, ct_leaf[0], (const uint8_t (*)[32]) one, 1,
									 ct_leaf[0], err, 256),
	   "a one-leaf tree: a non-empty proof is refused");
	ok(!juki_merkle_verify_inclusion(&hasher, 1, 1, ct_leaf[0], NULL, 0, ct_leaf[0], err, 256),
	   "index = size is refused");
	ok(juki_merkle_verify_consistency(&hasher, 0, 0, some_hash, some_hash, NULL, 0, err, 256),
	   "consistency 0 -> 0 with equal roots and no proof holds");
	ok(!juki_merkle_verify_consistency(&hasher, 0, 0, juki_merkle_empty_root, some_hash,
									   NULL, 0, err, 256),
	   "consistency 0 -> 0 with different roots is refused");
	ok(juki_merkle_verify_consistency(&hasher, 0, 5, some_hash, ct_root[4], NULL, 0, err, 256),
	   "consistency from 0 with an empty proof holds");
	ok(!juki_merkle_verify_consistency(&hasher, 0, 1, juki_merkle_empty_root,
									   juki_merkle_empty_root, (const uint8_t (*)[32]) one, 1,
									   err, 256),
	   "consistency from 0 with a non-empty proof is refused");
	ok(juki_merkle_verify_consistency(&hasher, 8, 8, ct_root[7], ct_root[7], NULL, 0, err, 256),
	   "consistency m = n with equal roots holds");
	ok(!juki_merkle_verify_consistency(&hasher, 8, 8, ct_root[7], ct_root[7],
									   (const uint8_t (*)[32]) one, 1, err, 256),
	   "consistency m = n with a non-empty proof is refused");
	ok(!juki_merkle_verify_consistency(&hasher, 1, 1, ct_root[0], ct_root[1], NULL, 0, err, 256),
	   "consistency m = n with different roots is refused");
	ok(!juki_merkle_verify_consistency(&hasher, 2, 1, ct_root[1], ct_root[0], NULL, 0, err, 256),
	   "consistency m > n is refused");
	ok(!juki_merkle_verify_consistency(&hasher, 1, 2, ct_root[0], ct_root[1], NULL, 0, err, 256),
	   "consistency 1 -> 2 with an empty proof is refused");
	ok(!juki_merkle_verify_inclusion(&hasher, 0, (uint64_t) INT64_MAX + 1, ct_leaf[0], NULL, 0,
									 ct_leaf[0], err, 256),
	   "tree sizes beyond 2^63 - 1 are refused");
	memtree_build(&t, (const uint8_t (*)[32]) ct_leaf, 8);
	ok(!juki_merkle_inclusion_proof(&hasher, memtree_node, &t, 8, 8, p, &n, err, 256),
	   "no inclusion proof for index = size");
	ok(!juki_merkle_consistency_proof(&hasher, memtree_node, &t, 9, 8, p, &n, err, 256),
	   "no consistency proof for m > n");
	ok(juki_merkle_consistency_proof(&hasher, memtree_node, &t, 0, 8, p, &n, err, 256) && n == 0 &&
	   juki_merkle_consistency_proof(&hasher, memtree_node, &t, 8, 8, p, &n, err, 256) && n == 0,
	   "consistency proofs from 0 and between equal sizes are empty");
	t.limit = 7;
	ok(!juki_merkle_inclusion_proof(&hasher, memtree_node, &t, 0, 8, p, &n, err, 256),
	   "a failing node callback fails the proof (%s)", err);
	memtree_free(&t);
}

/* Every proof of every size up to 300, against the naive MTH. */
static void
test_exhaustive(void)
{
	enum
	{
	N = 300};
	uint8_t		(*lv)[JUKI_HASH_LEN] = synthetic_leaves(N);
	uint8_t		roots[N + 1][JUKI_HASH_LEN];
	MemTree		t;
	char		err[256];
	long		nincl = 0;
	long		ncons = 0;
	long		bad_root = 0;
	long		bad_gen = 0;
	long		bad_ver = 0;
	long		bad_tamper = 0;
	uint64_t	n;
	uint64_t	m;

	memtree_build(&t, (const uint8_t (*)[32]) lv, N);
	for (n = 0; n <= N; n++)
	{
		uint8_t		r[32];
		JukiMerkleFrontier f;

		naive_mth((const uint8_t (*)[32]) lv, n, roots[n]);
		t.limit = n;
		if (!juki_merkle_tree_root(&hasher, memtree_node, &t, n, r, err, 256) ||
			memcmp(r, roots[n], 32) != 0)
			bad_root++;
		juki_frontier_init(&f);
		for (m = 0; m < n; m++)
			if (!juki_frontier_append(&hasher, &f, lv[m], err, 256))
				bad_root++;
		if (!juki_frontier_root(&hasher, &f, r, err, 256) || memcmp(r, roots[n], 32) != 0)
			bad_root++;
	}
	ok(bad_root == 0, "tree heads of sizes 0..%d from stored nodes and from the appender match the naive MTH",
	   N);
	for (n = 1; n <= N; n++)
	{
		t.limit = n;
		for (m = 0; m < n; m++)
		{
			uint8_t		p[JUKI_MERKLE_MAX_PROOF][32];
			int			np;

			nincl++;
			if (!juki_merkle_inclusion_proof(&hasher, memtree_node, &t, m, n, p, &np, err, 256))
			{
				bad_gen++;
				continue;
			}
			if (!juki_merkle_verify_inclusion(&hasher, m, n, lv[m], (const uint8_t (*)[32]) p, np,
											  roots[n], err, 256))
				bad_ver++;
			/* full tampering on a sample, the cheap probes everywhere */
			if (n % 7 == 0 || n < 20 || n == 255 || n == 256 || n == 257)
				bad_tamper += inclusion_tamper(m, n, lv[m], p, np, roots[n]);
			else if (np > 0)
			{
				p[m % np][m % 32] ^= 1;
				if (juki_merkle_verify_inclusion(&hasher, m, n, lv[m], (const uint8_t (*)[32]) p,
												 np, roots[n], err, 256))
					bad_tamper++;
			}
		}
	}
	ok(bad_gen == 0 && bad_ver == 0,
	   "all %ld inclusion proofs of sizes 1..%d generate and verify (%ld, %ld failed)",
	   nincl, N, bad_gen, bad_ver);
	ok(bad_tamper == 0, "no tampered inclusion proof verifies (%ld did)", bad_tamper);
	bad_gen = bad_ver = bad_tamper = 0;
	for (n = 0; n <= N; n++)
	{
		t.limit = n;
		for (m = 0; m <= n; m++)
		{
			uint8_t		p[JUKI_MERKLE_MAX_PROOF][32];
			int			np;

			ncons++;
			if (!juki_merkle_consistency_proof(&hasher, memtree_node, &t, m, n, p, &np, err, 256))
			{
				bad_gen++;
				continue;
			}
			if (!juki_merkle_verify_consistency(&hasher, m, n, roots[m], roots[n],
												(const uint8_t (*)[32]) p, np, err, 256))
				bad_ver++;
			if (np == 0)
				continue;
			if (n % 5 == 0 || n < 20 || n == 255 || n == 256 || n == 257)
				bad_tamper += consistency_tamper(m, n, roots[m], roots[n], p, np);
			else
			{
				p[(m + n) % np][n % 32] ^= 1;
				if (juki_merkle_verify_consistency(&hasher, m, n, roots[m], roots[n],
												   (const uint8_t (*)[32]) p, np, err, 256))
					bad_tamper++;
			}
		}
	}
	ok(bad_gen == 0 && bad_ver == 0,
	   "all %ld consistency proofs m -> n, 0 <= m <= n <= %d, generate and verify (%ld, %ld failed)",
	   ncons, N, bad_gen, bad_ver);
	ok(bad_tamper == 0, "no tampered consistency proof verifies (%ld did)", bad_tamper);
	/* a proof between trees that differ below m (a fork) cannot verify */
	{
		uint8_t		(*fork)[JUKI_HASH_LEN] = xmalloc(N * 32);
		MemTree		ft;
		uint8_t		froot[32];
		uint8_t		p[JUKI_MERKLE_MAX_PROOF][32];
		int			np;
		long		accepted = 0;

		memcpy(fork, lv, N * 32);
		fork[100][0] ^= 1;
		memtree_build(&ft, (const uint8_t (*)[32]) fork, N);
		naive_mth((const uint8_t (*)[32]) fork, N, froot);
		for (m = 101; m < N; m++)
		{
			if (juki_merkle_consistency_proof(&hasher, memtree_node, &ft, m, N, p, &np, err, 256) &&
				juki_merkle_verify_consistency(&hasher, m, N, roots[m], froot,
											   (const uint8_t (*)[32]) p, np, err, 256))
				accepted++;
		}
		ok(accepted == 0, "a log rewritten at entry 100 fails consistency from every old size above it");
		memtree_free(&ft);
		free(fork);
	}
	memtree_free(&t);
	free(lv);
}

int
main(void)
{
	char		err[256];

	if (!juki_hasher_init(&hasher, err, sizeof(err)))
	{
		printf("Bail out! %s\n", err);
		return 2;
	}
	test_hashing();
	test_reference_proofs();
	test_c2sp_example();
	test_reference_tamper();
	test_edges();
	test_exhaustive();
	frontier_tests();
	tile_tests();
	note_tests();
	juki_hasher_free(&hasher);
	printf("1..%d\n", ntests);
	if (nfailed > 0)
		printf("# %d of %d tests failed\n", nfailed, ntests);
	return nfailed > 0 ? 1 : 0;
}
