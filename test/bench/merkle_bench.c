/*-------------------------------------------------------------------------
 * merkle_bench.c
 *		How fast src/format recomputes leaf hashes and the tree root over a
 *		run of canonical entries (juki_merkle_hash_entries), on one thread
 *		and on two threads that each hash aligned chunks of 2^16 entries
 *		which the main thread then joins with juki_frontier_merge.  Also
 *		with the chain hash SHA-256(prev_hash || canonical) of every entry,
 *		checked against stored hashes the way verify_log can (each entry
 *		independently), to show the whole per-entry cost.  Not part of make
 *		test: `make merkle-bench` (MERKLE_BENCH_N entries, default 1000000,
 *		of about 600 bytes).
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "format/merkle.h"

#define CHUNK_LEVEL 16
#define CHUNK		(1 << CHUNK_LEVEL)

typedef struct Job
{
	const uint8_t *buf;
	size_t		buflen;
	const size_t *off;
	size_t		n;
	size_t		first_chunk;
	size_t		step;			/* hash chunks first_chunk, +step, ... */
	JukiMerkleFrontier *chunks;
	bool		chain;			/* also check each entry's chain hash */
	const uint8_t (*stored)[32];	/* hash of entry i (prev is stored[i-1]) */
	bool		ok;
	double		cpu;			/* the thread's CPU seconds */
} Job;

static double
clock_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_of(CLOCK_MONOTONIC);
}

/* SHA-256(prev || entry) against the stored hash, with the job's hasher's md */
static bool
chain_check(JukiHasher *h, const uint8_t prev[32], const uint8_t *e, size_t len,
			const uint8_t want[32])
{
	uint8_t		out[32];
	unsigned int olen;

	if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
		EVP_DigestUpdate(h->ctx, prev, 32) != 1 ||
		EVP_DigestUpdate(h->ctx, e, len) != 1 ||
		EVP_DigestFinal_ex(h->ctx, out, &olen) != 1)
		return false;
	return memcmp(out, want, 32) == 0;
}

static void *
run_job(void *arg)
{
	Job		   *j = (Job *) arg;
	JukiHasher	h;
	char		err[256];
	size_t		c;
	size_t		nchunks = (j->n + CHUNK - 1) / CHUNK;
	static const uint8_t zero[32];
	double		c0 = clock_of(CLOCK_THREAD_CPUTIME_ID);

	j->ok = juki_hasher_init(&h, err, sizeof(err));
	for (c = j->first_chunk; j->ok && c < nchunks; c += j->step)
	{
		size_t		lo = c * CHUNK;
		size_t		cnt = j->n - lo < CHUNK ? j->n - lo : CHUNK;
		size_t		i;

		juki_frontier_init(&j->chunks[c]);
		if (!juki_merkle_hash_entries(&h, j->buf, j->buflen, j->off + lo, cnt, NULL,
									  &j->chunks[c], err, sizeof(err)))
			j->ok = false;
		if (j->chain)
			for (i = lo; i < lo + cnt; i++)
				if (!chain_check(&h, i == 0 ? zero : j->stored[i - 1], j->buf + j->off[i],
								 j->off[i + 1] - j->off[i], j->stored[i]))
					j->ok = false;
	}
	if (!j->ok)
		fprintf(stderr, "hashing failed: %s\n", err);
	juki_hasher_free(&h);
	j->cpu = clock_of(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/*
 * Hash n entries with nthreads threads into root; return the wall time,
 * and in *cpu the busiest thread's CPU time (what the run would take on
 * otherwise idle cores: this machine's cores are shared).
 */
static double
bench(int nthreads, bool chain, const uint8_t *buf, size_t buflen, const size_t *off, size_t n,
	  const uint8_t (*stored)[32], uint8_t root[32], double *cpu)
{
	size_t		nchunks = (n + CHUNK - 1) / CHUNK;
	JukiMerkleFrontier *chunks = malloc(nchunks * sizeof(JukiMerkleFrontier));
	JukiMerkleFrontier all;
	pthread_t	th[2];
	Job			jobs[2];
	JukiHasher	h;
	char		err[256];
	double		t0 = now();
	int			i;
	size_t		c;

	for (i = 0; i < nthreads; i++)
	{
		jobs[i] = (Job) {buf, buflen, off, n, (size_t) i, (size_t) nthreads, chunks, chain, stored, false, 0};
		pthread_create(&th[i], NULL, run_job, &jobs[i]);
	}
	*cpu = 0;
	for (i = 0; i < nthreads; i++)
	{
		pthread_join(th[i], NULL);
		if (!jobs[i].ok)
			exit(1);
		if (jobs[i].cpu > *cpu)
			*cpu = jobs[i].cpu;
	}
	/* join the chunks in order: each starts at a multiple of 2^16 */
	if (!juki_hasher_init(&h, err, sizeof(err)))
		exit(1);
	juki_frontier_init(&all);
	for (c = 0; c < nchunks; c++)
		if (!juki_frontier_merge(&h, &all, &chunks[c], err, sizeof(err)))
		{
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
	if (!juki_frontier_root(&h, &all, root, err, sizeof(err)))
		exit(1);
	juki_hasher_free(&h);
	free(chunks);
	return now() - t0;
}

int
main(void)
{
	size_t		n = getenv("MERKLE_BENCH_N") ? strtoul(getenv("MERKLE_BENCH_N"), NULL, 10) : 1000000;
	size_t	   *off = malloc((n + 1) * sizeof(size_t));
	uint8_t		(*stored)[32] = malloc(n * 32);
	size_t		cap = n * 700;
	uint8_t    *buf = malloc(cap);
	size_t		len = 0;
	size_t		i;
	uint8_t		r1[32];
	uint8_t		r2[32];
	JukiHasher	h;
	char		err[256];
	int			chain;

	if (off == NULL || buf == NULL || stored == NULL || !juki_hasher_init(&h, err, sizeof(err)))
		return 1;
	srand(1);
	/* entries shaped like canonical log entries, about 600 bytes each */
	for (i = 0; i < n; i++)
	{
		int			pad = 380 + rand() % 40;
		int			k;

		off[i] = len;
		len += (size_t) sprintf((char *) buf + len,
								"{\"action\":\"lookup\",\"backend_pid\":%d,\"card_serial\":\"C%08d\","
								"\"client_addr\":\"10.0.%d.%d\",\"criteria\":{\"name_kana\":\"",
								1000 + rand() % 50000, rand() % 100000000, rand() % 256, rand() % 256);
		for (k = 0; k < pad; k++)
			buf[len++] = (uint8_t) ('a' + rand() % 26);
		len += (size_t) sprintf((char *) buf + len,
								"\"},\"db_role\":\"clerk\",\"outcome\":\"allowed\",\"seq\":%zu,"
								"\"ts\":\"2025-01-01T00:00:00.000000Z\"}", i);
	}
	off[n] = len;
	/* the chain hashes verify_log would find stored */
	for (i = 0; i < n; i++)
	{
		static const uint8_t zero[32];
		unsigned int olen;

		if (EVP_DigestInit_ex2(h.ctx, h.md, NULL) != 1 ||
			EVP_DigestUpdate(h.ctx, i == 0 ? zero : stored[i - 1], 32) != 1 ||
			EVP_DigestUpdate(h.ctx, buf + off[i], off[i + 1] - off[i]) != 1 ||
			EVP_DigestFinal_ex(h.ctx, stored[i], &olen) != 1)
			return 1;
	}
	printf("%zu entries, %.0f bytes each on average, %.1f MB\n", n, (double) len / n, len / 1e6);
	printf("entries/s by wall clock (by the busiest thread's CPU time)\n");
	for (chain = 0; chain <= 1; chain++)
	{
		double		c1;
		double		c2;
		double		t1 = bench(1, chain, buf, len, off, n, (const uint8_t (*)[32]) stored, r1, &c1);
		double		t2 = bench(2, chain, buf, len, off, n, (const uint8_t (*)[32]) stored, r2, &c2);

		printf("%-27s 1 thread %8.0f (%8.0f)   2 threads %8.0f (%8.0f)   roots %s\n",
			   chain ? "leaf + tree + chain check:" : "leaf hashes + tree root:",
			   n / t1, n / c1, n / t2, n / c2, memcmp(r1, r2, 32) == 0 ? "equal" : "DIFFER");
		if (memcmp(r1, r2, 32) != 0)
			return 1;
	}
	juki_hasher_free(&h);
	free(buf);
	free(off);
	free(stored);
	return 0;
}
