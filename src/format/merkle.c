/*-------------------------------------------------------------------------
 * merkle.c
 *		RFC 6962 / RFC 9162 Merkle tree hashes, appender, proofs, and the
 *		C2SP tlog-tiles geometry (see merkle.h and doc/MERKLE.md).
 *
 * Free of PostgreSQL: only libc and OpenSSL's libcrypto, linked into the
 * backend and into the offline tools alike.  Nothing here may exit, print,
 * keep global state or allocate other than the two OpenSSL objects of a
 * JukiHasher; the error queue is cleared after an OpenSSL failure because
 * the backend shares it with its TLS code.
 *-------------------------------------------------------------------------
 */
#include "merkle.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

const uint8_t juki_merkle_empty_root[JUKI_HASH_LEN] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8,
	0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
	0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55
};

static const uint8_t leaf_prefix = 0x00;
static const uint8_t node_prefix = 0x01;

static bool
fail(char *err, size_t errlen, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

/* Put a message in the caller's buffer and return false. */
static bool
fail(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* An OpenSSL call failed: clear the shared error queue and say which. */
static bool
ossl_fail(char *err, size_t errlen, const char *what)
{
	ERR_clear_error();
	return fail(err, errlen, "OpenSSL failure in %s", what);
}

static inline bool
is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* floor(log2(x)) for x > 0 */
static inline int
log2_floor(uint64_t x)
{
	return 63 - __builtin_clzll(x);
}


/* ---------------------------------------------------------------------
 * Hashing
 * ---------------------------------------------------------------------
 */

bool
juki_hasher_init(JukiHasher *h, char *err, size_t errlen)
{
	h->md = NULL;
	h->ctx = NULL;
	/* fetch once: EVP_sha256() would look the provider up on every init */
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (h->md == NULL)
		return ossl_fail(err, errlen, "EVP_MD_fetch");
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL)
	{
		EVP_MD_free(h->md);
		h->md = NULL;
		return ossl_fail(err, errlen, "EVP_MD_CTX_new");
	}
	return true;
}

void
juki_hasher_free(JukiHasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	h->ctx = NULL;
	h->md = NULL;
}

/* SHA-256(prefix || a || b); b may be NULL. */
static bool
hash3(JukiHasher *h, const uint8_t *prefix, const void *a, size_t alen,
	  const void *b, size_t blen, uint8_t out[JUKI_HASH_LEN],
	  char *err, size_t errlen)
{
	unsigned int outlen = 0;
	uint8_t		tmp[JUKI_HASH_LEN];

	if (h == NULL || h->ctx == NULL || h->md == NULL)
		return fail(err, errlen, "hasher is not initialised");
	if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
		EVP_DigestUpdate(h->ctx, prefix, 1) != 1 ||
		(alen > 0 && EVP_DigestUpdate(h->ctx, a, alen) != 1) ||
		(blen > 0 && EVP_DigestUpdate(h->ctx, b, blen) != 1) ||
		EVP_DigestFinal_ex(h->ctx, tmp, &outlen) != 1 ||
		outlen != JUKI_HASH_LEN)
		return ossl_fail(err, errlen, "SHA-256");
	memcpy(out, tmp, JUKI_HASH_LEN);
	return true;
}

bool
juki_merkle_leaf_hash(JukiHasher *h, const void *entry, size_t len,
					  uint8_t out[JUKI_HASH_LEN], char *err, size_t errlen)
{
	if (entry == NULL && len > 0)
		return fail(err, errlen, "leaf data is missing");
	return hash3(h, &leaf_prefix, entry, len, NULL, 0, out, err, errlen);
}

bool
juki_merkle_node_hash(JukiHasher *h, const uint8_t left[JUKI_HASH_LEN],
					  const uint8_t right[JUKI_HASH_LEN],
					  uint8_t out[JUKI_HASH_LEN], char *err, size_t errlen)
{
	return hash3(h, &node_prefix, left, JUKI_HASH_LEN, right, JUKI_HASH_LEN,
				 out, err, errlen);
}

uint64_t
juki_merkle_split(uint64_t n)
{
	if (n < 2)
		return 0;
	return UINT64_C(1) << log2_floor(n - 1);
}


/* ---------------------------------------------------------------------
 * Frontier (compact range from 0)
 * ---------------------------------------------------------------------
 */

void
juki_frontier_init(JukiMerkleFrontier *f)
{
	f->size = 0;
	memset(f->peaks, 0, sizeof(f->peaks));
}

bool
juki_frontier_append_subtree(JukiHasher *h, JukiMerkleFrontier *f, int level,
							 const uint8_t hash[JUKI_HASH_LEN],
							 char *err, size_t errlen)
{
	uint8_t		carry[JUKI_HASH_LEN];
	uint64_t	s;
	uint64_t	width;
	int			lvl;

	if (level < 0 || level > JUKI_MERKLE_MAX_LEVEL - 1)
		return fail(err, errlen, "subtree level %d is out of range", level);
	width = UINT64_C(1) << level;
	if (f->size % width != 0)
		return fail(err, errlen,
					"a subtree of 2^%d leaves cannot follow %" PRIu64 " leaves",
					level, f->size);
	if ((uint64_t) JUKI_MERKLE_MAX_SIZE - f->size < width)
		return fail(err, errlen, "tree size would exceed 2^63 - 1");
	memcpy(carry, hash, JUKI_HASH_LEN);
	s = f->size >> level;
	lvl = level;
	while (s & 1)
	{
		/* a left sibling of the same height is waiting: combine */
		if (!juki_merkle_node_hash(h, f->peaks[lvl], carry, carry, err, errlen))
			return false;
		s >>= 1;
		lvl++;
	}
	memcpy(f->peaks[lvl], carry, JUKI_HASH_LEN);
	f->size += width;
	return true;
}

bool
juki_frontier_append(JukiHasher *h, JukiMerkleFrontier *f,
					 const uint8_t leaf[JUKI_HASH_LEN], char *err, size_t errlen)
{
	return juki_frontier_append_subtree(h, f, 0, leaf, err, errlen);
}

bool
juki_frontier_merge(JukiHasher *h, JukiMerkleFrontier *left,
					const JukiMerkleFrontier *right, char *err, size_t errlen)
{
	int			top;
	int			j;

	if (right->size == 0)
		return true;
	top = log2_floor(right->size);
	if (left->size % (UINT64_C(1) << top) != 0)
		return fail(err, errlen,
					"cannot join ranges: %" PRIu64 " leaves are not a multiple of 2^%d",
					left->size, top);
	/* the right range's peaks, largest first, land on aligned positions */
	for (j = top; j >= 0; j--)
	{
		if ((right->size >> j) & 1)
		{
			if (!juki_frontier_append_subtree(h, left, j, right->peaks[j], err, errlen))
				return false;
		}
	}
	return true;
}

bool
juki_frontier_root(JukiHasher *h, const JukiMerkleFrontier *f,
				   uint8_t root[JUKI_HASH_LEN], char *err, size_t errlen)
{
	uint8_t		acc[JUKI_HASH_LEN];
	int			lo;
	int			j;

	if (f->size == 0)
	{
		memcpy(root, juki_merkle_empty_root, JUKI_HASH_LEN);
		return true;
	}
	/* the smallest peak is the rightmost; fold leftwards (RFC 6962 split) */
	lo = __builtin_ctzll(f->size);
	memcpy(acc, f->peaks[lo], JUKI_HASH_LEN);
	for (j = lo + 1; j <= JUKI_MERKLE_MAX_LEVEL; j++)
	{
		if ((f->size >> j) & 1)
		{
			if (!juki_merkle_node_hash(h, f->peaks[j], acc, acc, err, errlen))
				return false;
		}
	}
	memcpy(root, acc, JUKI_HASH_LEN);
	return true;
}

bool
juki_merkle_root_of(JukiHasher *h, const uint8_t (*leaves)[JUKI_HASH_LEN],
					uint64_t n, uint8_t root[JUKI_HASH_LEN],
					char *err, size_t errlen)
{
	JukiMerkleFrontier f;
	uint64_t	i;

	juki_frontier_init(&f);
	for (i = 0; i < n; i++)
	{
		if (!juki_frontier_append(h, &f, leaves[i], err, errlen))
			return false;
	}
	return juki_frontier_root(h, &f, root, err, errlen);
}

bool
juki_merkle_hash_entries(JukiHasher *h, const uint8_t *buf, size_t buflen,
						 const size_t *off, size_t count,
						 uint8_t (*leaves)[JUKI_HASH_LEN],
						 JukiMerkleFrontier *f, char *err, size_t errlen)
{
	uint8_t		leaf[JUKI_HASH_LEN];
	size_t		i;

	if (count == 0)
		return true;
	if (off == NULL || (buf == NULL && buflen > 0))
		return fail(err, errlen, "entry buffer or offsets missing");
	if (off[count] > buflen)
		return fail(err, errlen, "entry offsets run past the buffer");
	for (i = 0; i < count; i++)
	{
		if (off[i] > off[i + 1])
			return fail(err, errlen, "entry offsets are not in order at %zu", i);
		if (!juki_merkle_leaf_hash(h, buf + off[i], off[i + 1] - off[i], leaf,
								   err, errlen))
			return false;
		if (leaves != NULL)
			memcpy(leaves[i], leaf, JUKI_HASH_LEN);
		if (!juki_frontier_append(h, f, leaf, err, errlen))
			return false;
	}
	return true;
}


/* ---------------------------------------------------------------------
 * Proof generation from stored nodes
 * ---------------------------------------------------------------------
 */

/*
 * MTH(D[lo:hi]) from complete nodes.  With h == NULL only the node requests
 * are made (to learn which tiles a proof needs) and out is left alone.
 * Ranges of the RFC 6962 recursion always start at a multiple of the
 * smallest power of two >= their length; others are refused, since they
 * would need a node request per leaf.
 */
static bool
range_root(JukiHasher *h, juki_merkle_node_fn node, void *arg,
		   uint64_t lo, uint64_t hi, uint8_t out[JUKI_HASH_LEN],
		   char *err, size_t errlen)
{
	uint64_t	size;
	uint64_t	k;
	uint8_t		left[JUKI_HASH_LEN];
	uint8_t		right[JUKI_HASH_LEN];
	int			level;

	if (hi <= lo || hi > (uint64_t) JUKI_MERKLE_MAX_SIZE)
		return fail(err, errlen, "empty or oversized range [%" PRIu64 ", %" PRIu64 ")",
					lo, hi);
	size = hi - lo;
	level = is_pow2(size) ? log2_floor(size) : log2_floor(size) + 1;
	if (level < 63 ? lo % (UINT64_C(1) << level) != 0 : lo != 0)
		return fail(err, errlen, "range [%" PRIu64 ", %" PRIu64 ") is not aligned", lo, hi);
	if (is_pow2(size))
	{
		if (!node(arg, level, lo >> level, out, err, errlen))
			return false;
		return true;
	}
	k = juki_merkle_split(size);
	if (!range_root(h, node, arg, lo, lo + k, left, err, errlen) ||
		!range_root(h, node, arg, lo + k, hi, right, err, errlen))
		return false;
	if (h == NULL)
		return true;
	return juki_merkle_node_hash(h, left, right, out, err, errlen);
}

bool
juki_merkle_range_root(JukiHasher *h, juki_merkle_node_fn node, void *arg,
					   uint64_t lo, uint64_t hi, uint8_t out[JUKI_HASH_LEN],
					   char *err, size_t errlen)
{
	return range_root(h, node, arg, lo, hi, out, err, errlen);
}

bool
juki_merkle_tree_root(JukiHasher *h, juki_merkle_node_fn node, void *arg,
					  uint64_t n, uint8_t out[JUKI_HASH_LEN],
					  char *err, size_t errlen)
{
	if (n == 0)
	{
		if (h != NULL)
			memcpy(out, juki_merkle_empty_root, JUKI_HASH_LEN);
		return true;
	}
	return range_root(h, node, arg, 0, n, out, err, errlen);
}

/* Reverse items[0..n): the recursions below collect them root first. */
static void
reverse_hashes(uint8_t (*items)[JUKI_HASH_LEN], int n)
{
	uint8_t		tmp[JUKI_HASH_LEN];
	int			i;

	for (i = 0; i < n / 2; i++)
	{
		memcpy(tmp, items[i], JUKI_HASH_LEN);
		memcpy(items[i], items[n - 1 - i], JUKI_HASH_LEN);
		memcpy(items[n - 1 - i], tmp, JUKI_HASH_LEN);
	}
}

static bool
inclusion_proof(JukiHasher *h, juki_merkle_node_fn node, void *arg,
				uint64_t index, uint64_t n,
				uint8_t proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN],
				int *nproof, char *err, size_t errlen)
{
	uint64_t	lo = 0;
	uint64_t	hi = n;
	int			cnt = 0;

	*nproof = 0;
	if (n > (uint64_t) JUKI_MERKLE_MAX_SIZE)
		return fail(err, errlen, "tree size %" PRIu64 " is too large", n);
	if (index >= n)
		return fail(err, errlen, "index %" PRIu64 " is not in a tree of size %" PRIu64,
					index, n);
	/* walk down from the root; each step gives the sibling of the path */
	while (hi - lo > 1)
	{
		uint64_t	k = juki_merkle_split(hi - lo);

		if (cnt >= JUKI_MERKLE_MAX_PROOF)
			return fail(err, errlen, "inclusion proof too long");
		if (index < lo + k)
		{
			if (!range_root(h, node, arg, lo + k, hi, proof[cnt], err, errlen))
				return false;
			hi = lo + k;
		}
		else
		{
			if (!range_root(h, node, arg, lo, lo + k, proof[cnt], err, errlen))
				return false;
			lo += k;
		}
		cnt++;
	}
	reverse_hashes(proof, cnt);
	*nproof = cnt;
	return true;
}

static bool
consistency_proof(JukiHasher *h, juki_merkle_node_fn node, void *arg,
				  uint64_t m, uint64_t n,
				  uint8_t proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN],
				  int *nproof, char *err, size_t errlen)
{
	uint64_t	lo = 0;
	uint64_t	hi = n;
	bool		complete = true;	/* SUBPROOF's b */
	int			cnt = 0;

	*nproof = 0;
	if (n > (uint64_t) JUKI_MERKLE_MAX_SIZE)
		return fail(err, errlen, "tree size %" PRIu64 " is too large", n);
	if (m > n)
		return fail(err, errlen, "old size %" PRIu64 " is larger than new size %" PRIu64,
					m, n);
	if (m == 0 || m == n)
		return true;
	for (;;)
	{
		uint64_t	k;

		if (cnt >= JUKI_MERKLE_MAX_PROOF)
			return fail(err, errlen, "consistency proof too long");
		if (m == hi)
		{
			/* the whole subtree is in the old tree */
			if (!complete)
			{
				if (!range_root(h, node, arg, lo, hi, proof[cnt], err, errlen))
					return false;
				cnt++;
			}
			break;
		}
		k = juki_merkle_split(hi - lo);
		if (m <= lo + k)
		{
			if (!range_root(h, node, arg, lo + k, hi, proof[cnt], err, errlen))
				return false;
			hi = lo + k;
		}
		else
		{
			if (!range_root(h, node, arg, lo, lo + k, proof[cnt], err, errlen))
				return false;
			lo += k;
			complete = false;
		}
		cnt++;
	}
	reverse_hashes(proof, cnt);
	*nproof = cnt;
	return true;
}

bool
juki_merkle_inclusion_proof(JukiHasher *h, juki_merkle_node_fn node, void *arg,
							uint64_t index, uint64_t n,
							uint8_t proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN],
							int *nproof, char *err, size_t errlen)
{
	if (h == NULL)
		return fail(err, errlen, "hasher is not initialised");
	return inclusion_proof(h, node, arg, index, n, proof, nproof, err, errlen);
}

bool
juki_merkle_consistency_proof(JukiHasher *h, juki_merkle_node_fn node, void *arg,
							  uint64_t m, uint64_t n,
							  uint8_t proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN],
							  int *nproof, char *err, size_t errlen)
{
	if (h == NULL)
		return fail(err, errlen, "hasher is not initialised");
	return consistency_proof(h, node, arg, m, n, proof, nproof, err, errlen);
}

bool
juki_merkle_proof_nodes(juki_merkle_node_fn node, void *arg, bool consistency,
						uint64_t a, uint64_t n, char *err, size_t errlen)
{
	uint8_t		proof[JUKI_MERKLE_MAX_PROOF][JUKI_HASH_LEN];
	int			nproof;

	/* a NULL hasher makes range_root skip the hashing */
	if (consistency)
	{
		/* m = n asks for the root of n: the tiles a tree head needs */
		if (a == n)
			return juki_merkle_tree_root(NULL, node, arg, n, proof[0], err, errlen);
		return consistency_proof(NULL, node, arg, a, n, proof, &nproof, err, errlen);
	}
	return inclusion_proof(NULL, node, arg, a, n, proof, &nproof, err, errlen);
}


/* ---------------------------------------------------------------------
 * Proof verification (RFC 9162 2.1.3.2, 2.1.4.2)
 * ---------------------------------------------------------------------
 */

bool
juki_merkle_verify_inclusion(JukiHasher *h, uint64_t index, uint64_t n,
							 const uint8_t leaf[JUKI_HASH_LEN],
							 const uint8_t (*proof)[JUKI_HASH_LEN], int nproof,
							 const uint8_t root[JUKI_HASH_LEN],
							 char *err, size_t errlen)
{
	uint64_t	fn;
	uint64_t	sn;
	uint8_t		r[JUKI_HASH_LEN];
	int			i;

	if (n > (uint64_t) JUKI_MERKLE_MAX_SIZE)
		return fail(err, errlen, "tree size %" PRIu64 " is too large", n);
	if (index >= n)
		return fail(err, errlen, "index %" PRIu64 " is not in a tree of size %" PRIu64,
					index, n);
	if (nproof < 0 || nproof > JUKI_MERKLE_MAX_PROOF || (nproof > 0 && proof == NULL))
		return fail(err, errlen, "inclusion proof has a bad length");
	fn = index;
	sn = n - 1;
	memcpy(r, leaf, JUKI_HASH_LEN);
	for (i = 0; i < nproof; i++)
	{
		if (sn == 0)
			return fail(err, errlen, "inclusion proof is too long");
		if ((fn & 1) || fn == sn)
		{
			if (!juki_merkle_node_hash(h, proof[i], r, r, err, errlen))
				return false;
			while (!(fn & 1) && fn != 0)
			{
				fn >>= 1;
				sn >>= 1;
			}
		}
		else if (!juki_merkle_node_hash(h, r, proof[i], r, err, errlen))
			return false;
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return fail(err, errlen, "inclusion proof is too short");
	if (memcmp(r, root, JUKI_HASH_LEN) != 0)
		return fail(err, errlen, "inclusion proof does not lead to the root");
	return true;
}

bool
juki_merkle_verify_consistency(JukiHasher *h, uint64_t m, uint64_t n,
							   const uint8_t old_root[JUKI_HASH_LEN],
							   const uint8_t new_root[JUKI_HASH_LEN],
							   const uint8_t (*proof)[JUKI_HASH_LEN], int nproof,
							   char *err, size_t errlen)
{
	uint64_t	fn;
	uint64_t	sn;
	uint8_t		fr[JUKI_HASH_LEN];
	uint8_t		sr[JUKI_HASH_LEN];
	int			i;

	if (n > (uint64_t) JUKI_MERKLE_MAX_SIZE)
		return fail(err, errlen, "tree size %" PRIu64 " is too large", n);
	if (m > n)
		return fail(err, errlen, "old size %" PRIu64 " is larger than new size %" PRIu64,
					m, n);
	if (nproof < 0 || nproof > JUKI_MERKLE_MAX_PROOF || (nproof > 0 && proof == NULL))
		return fail(err, errlen, "consistency proof has a bad length");
	if (m == n)
	{
		if (nproof != 0)
			return fail(err, errlen, "consistency proof between equal sizes must be empty");
		if (memcmp(old_root, new_root, JUKI_HASH_LEN) != 0)
			return fail(err, errlen, "roots of equal sizes differ");
		return true;
	}
	if (m == 0)
	{
		if (nproof != 0)
			return fail(err, errlen, "consistency proof from size 0 must be empty");
		return true;
	}
	if (nproof == 0)
		return fail(err, errlen, "consistency proof is empty");

	/* when m is a power of two, old_root is the implicit first element */
	i = 0;
	if (is_pow2(m))
		memcpy(fr, old_root, JUKI_HASH_LEN);
	else
		memcpy(fr, proof[i++], JUKI_HASH_LEN);
	memcpy(sr, fr, JUKI_HASH_LEN);
	fn = m - 1;
	sn = n - 1;
	while (fn & 1)
	{
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < nproof; i++)
	{
		if (sn == 0)
			return fail(err, errlen, "consistency proof is too long");
		if ((fn & 1) || fn == sn)
		{
			if (!juki_merkle_node_hash(h, proof[i], fr, fr, err, errlen) ||
				!juki_merkle_node_hash(h, proof[i], sr, sr, err, errlen))
				return false;
			while (!(fn & 1) && fn != 0)
			{
				fn >>= 1;
				sn >>= 1;
			}
		}
		else if (!juki_merkle_node_hash(h, sr, proof[i], sr, err, errlen))
			return false;
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return fail(err, errlen, "consistency proof is too short");
	if (memcmp(fr, old_root, JUKI_HASH_LEN) != 0)
		return fail(err, errlen, "consistency proof does not lead to the old root");
	if (memcmp(sr, new_root, JUKI_HASH_LEN) != 0)
		return fail(err, errlen, "consistency proof does not lead to the new root");
	return true;
}
