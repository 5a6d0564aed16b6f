/*-------------------------------------------------------------------------
 * witness_test.c
 *		Unit tests of the tlog-witness side of src/format/witness.c: the
 *		add-checkpoint request (against tlog-witness's example) and every
 *		answer of the witness check, over real trees signed by a log key,
 *		including a forked log.  Linked into merkle_test, which prints the
 *		TAP plan.
 *-------------------------------------------------------------------------
 */
#include "merkle_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM "\xe2\x80\x94"

/* A log of `n` synthetic entries, signed checkpoints, and a witness. */
typedef struct WLog
{
	MemTree		t;
	uint8_t		(*leaves)[32];
	JukiNoteSigner signer;
} WLog;

static void
wlog_init(WLog *l, uint64_t n, int fork_at, const char *origin)
{
	uint64_t	i;
	char		err[256];
	uint8_t		seed[32];

	l->leaves = malloc(n * 32);
	if (l->leaves == NULL)
		exit(2);
	for (i = 0; i < n; i++)
	{
		char		e[32];
		int			len = snprintf(e, sizeof(e), "entry %llu%s", (unsigned long long) i,
								   (int) i == fork_at ? " forked" : "");

		if (!juki_merkle_leaf_hash(test_hasher(), e, (size_t) len, l->leaves[i], err, 256))
			exit(2);
	}
	memtree_build(&l->t, (const uint8_t (*)[32]) l->leaves, n);
	seed_range(seed, 7);
	if (!juki_note_signer_init(&l->signer, origin, strlen(origin), JUKI_SIGTYPE_ED25519, seed,
							   err, 256))
		exit(2);
}

static void
wlog_free(WLog *l)
{
	memtree_free(&l->t);
	free(l->leaves);
	juki_note_signer_clear(&l->signer);
}

/* An add-checkpoint request from old to n; root_of(n) optionally overridden. */
static size_t
wlog_request(WLog *l, uint64_t old, uint64_t n, const JukiNoteSigner *signer,
			 const uint8_t *root_override, char *out, size_t outlen)
{
	uint8_t		root[32];
	uint8_t		proof[JUKI_MERKLE_MAX_PROOF][32];
	char		body[256];
	char		line[256];
	char		note[1024];
	char		err[256];
	size_t		blen;
	size_t		llen;
	size_t		rlen;
	int			np = 0;

	l->t.limit = n;
	if (!juki_merkle_tree_root(test_hasher(), memtree_node, &l->t, n, root, err, 256) ||
		(old <= n &&
		 !juki_merkle_consistency_proof(test_hasher(), memtree_node, &l->t, old, n, proof, &np,
										err, 256)))
	{
		fprintf(stderr, "wlog_request: %s\n", err);
		exit(2);
	}
	if (root_override != NULL)
		memcpy(root, root_override, 32);
	if (!juki_checkpoint_body(l->signer.key.name, l->signer.key.name_len, n, root, "", 0, body,
							  sizeof(body), &blen, err, 256) ||
		!juki_note_sign_line(signer, body, blen, 0, line, sizeof(line), &llen, err, 256))
		exit(2);
	snprintf(note, sizeof(note), "%s\n%s", body, line);
	if (!juki_witness_format_request(old, (const uint8_t (*)[32]) proof, np, note, strlen(note),
									 out, outlen, &rlen, err, 256))
		exit(2);
	return rlen;
}

void
witness_tests(void)
{
	static const char spec_req[] =
	"old 20852014\n"
	"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
	"jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
	"5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
	"/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
	"\n"
	"example.com/behind-the-sofa\n"
	"20852163\n"
	"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	"\n"
	EM " example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
	EM " example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
	JukiWitnessRequest req;
	JukiCheckpoint cp;
	JukiNote	note;
	char		err[256];
	char		buf[4096];
	size_t		len;
	WLog		lg;
	WLog		fork;
	JukiWitnessLog wl[2];
	JukiNoteSigner other;
	uint8_t		seed[32];
	int			idx;
	uint64_t	known;
	JukiHasher *h = test_hasher();
	JukiWitnessStatus st;
	uint8_t		root[32];

	ok(juki_witness_parse_request(spec_req, strlen(spec_req), &req, err, 256) &&
	   req.old_size == 20852014 && req.nproof == 4 && req.proof[0][0] == 0x3e &&
	   juki_note_parse(req.note, req.note_len, &note, err, 256) && note.nsigs == 2,
	   "tlog-witness's example request parses: old size, 4 proof lines, the checkpoint");
	ok(juki_witness_format_request(req.old_size, (const uint8_t (*)[32]) req.proof, req.nproof,
								   req.note, req.note_len, buf, sizeof(buf), &len, err, 256) &&
	   len == strlen(spec_req) && memcmp(buf, spec_req, len) == 0,
	   "... and prints back byte for byte");
	{
		static const char *const bad[] = {
			"old 01\n\nx", "old \n\nx", "old 1\nx\n", "old 1\n\n", "old 1",
			"old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw\n\nx",
			"Old 1\n\nx", "old  1\n\nx", "old 1 \n\nx",
		};
		size_t		i;
		bool		good = true;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (juki_witness_parse_request(bad[i], strlen(bad[i]), &req, err, 256))
			{
				diag("accepted request %zu", i);
				good = false;
			}
		len = (size_t) sprintf(buf, "old 1\n");
		for (i = 0; i < 64; i++)
			len += (size_t) sprintf(buf + len, "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n");
		len += (size_t) sprintf(buf + len, "\nx");
		if (juki_witness_parse_request(buf, len, &req, err, 256))
			good = false;
		ok(good, "malformed requests and 64 proof lines are refused");
	}

	wlog_init(&lg, 300, -1, "town.example.jp/juki-oplog");
	wlog_init(&fork, 300, 5, "town.example.jp/juki-oplog");
	memset(wl, 0, sizeof(wl));
	wl[0].origin = "other.example/log";
	wl[0].origin_len = strlen(wl[0].origin);
	wl[0].keys = &fork.signer.key;	/* a log with another origin */
	wl[0].nkeys = 1;
	wl[1].origin = lg.signer.key.name;
	wl[1].origin_len = lg.signer.key.name_len;
	wl[1].keys = &lg.signer.key;
	wl[1].nkeys = 1;
	seed_range(seed, 99);
	if (!juki_note_signer_init(&other, lg.signer.key.name, lg.signer.key.name_len,
							   JUKI_SIGTYPE_ED25519, seed, err, 256))
		exit(2);

#define CHECK(req_len) \
	(juki_witness_parse_request(buf, req_len, &req, err, 256) ? \
	 juki_witness_check(h, wl, 2, &req, &cp, &idx, &known, err, 256) : JUKI_WITNESS_BAD_REQUEST)

	len = wlog_request(&lg, 0, 10, &lg.signer, NULL, buf, sizeof(buf));
	st = CHECK(len);
	ok(st == JUKI_WITNESS_OK && idx == 1 && cp.size == 10,
	   "first checkpoint of a known log, old size 0, no proof: cosign (%d %s)", st, err);
	wl[1].has_state = true;
	wl[1].size = 10;
	memcpy(wl[1].root, cp.root, 32);
	len = wlog_request(&lg, 10, 200, &lg.signer, NULL, buf, sizeof(buf));
	st = CHECK(len);
	ok(st == JUKI_WITNESS_OK && cp.size == 200, "10 -> 200 with its consistency proof: cosign");
	wl[1].size = 200;
	memcpy(wl[1].root, cp.root, 32);
	len = wlog_request(&lg, 10, 250, &lg.signer, NULL, buf, sizeof(buf));
	st = CHECK(len);
	ok(st == JUKI_WITNESS_CONFLICT && known == 200,
	   "old size that is not the latest cosigned one: 409 with size 200");
	len = wlog_request(&lg, 0, 250, &lg.signer, NULL, buf, sizeof(buf));
	ok(CHECK(len) == JUKI_WITNESS_CONFLICT && known == 200, "old size 0 once a size is stored: 409");
	len = wlog_request(&lg, 250, 250, &lg.signer, NULL, buf, sizeof(buf));
	memcpy(buf, "old 260", 7);	/* claims more than the checkpoint has */
	ok(CHECK(len) == JUKI_WITNESS_BAD_REQUEST, "old size above the checkpoint's: 400");
	len = wlog_request(&lg, 200, 250, &lg.signer, NULL, buf, sizeof(buf));
	/* another letter in the first proof line: still base64, another hash */
	buf[strlen("old 200\n") + 3] = buf[strlen("old 200\n") + 3] == 'A' ? 'B' : 'A';
	ok(CHECK(len) == JUKI_WITNESS_BAD_PROOF, "a damaged consistency proof: 422");
	len = wlog_request(&fork, 200, 250, &fork.signer, NULL, buf, sizeof(buf));
	st = CHECK(len);
	ok(st == JUKI_WITNESS_BAD_PROOF,
	   "a forked log (entry 5 rewritten, tree recomputed, signed by the log's key): 422");
	len = wlog_request(&lg, 200, 250, &other, NULL, buf, sizeof(buf));
	ok(CHECK(len) == JUKI_WITNESS_BAD_SIGNATURE, "signed by another key of the same name: 403");
	len = wlog_request(&lg, 200, 200, &lg.signer, NULL, buf, sizeof(buf));
	ok(CHECK(len) == JUKI_WITNESS_OK, "the same checkpoint again (equal sizes and roots): cosign");
	len = wlog_request(&lg, 200, 200, &lg.signer, juki_merkle_empty_root, buf, sizeof(buf));
	ok(CHECK(len) == JUKI_WITNESS_CONFLICT && known == 200, "same size, another root: 409");
	memcpy(root, wl[1].root, 32);
	wl[1].has_state = false;
	wl[1].size = 0;
	len = wlog_request(&lg, 0, 20, &lg.signer, NULL, buf, sizeof(buf));
	memmove(buf + 6 + 45, buf + 6, len - 6);
	memcpy(buf + 6, "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n", 45);
	ok(CHECK(len + 45) == JUKI_WITNESS_BAD_PROOF, "old size 0 with a proof line: 422");
	wl[1].has_state = true;
	wl[1].size = 200;
	memcpy(wl[1].root, root, 32);
	wl[1].origin = "town.example.jp/other";
	wl[1].origin_len = strlen(wl[1].origin);
	len = wlog_request(&lg, 200, 250, &lg.signer, NULL, buf, sizeof(buf));
	ok(CHECK(len) == JUKI_WITNESS_UNKNOWN_ORIGIN, "an origin the witness does not know: 404");
	wl[1].origin = lg.signer.key.name;
	wl[1].origin_len = lg.signer.key.name_len;
	len = wlog_request(&lg, 200, 250, &lg.signer, NULL, buf, sizeof(buf));
	buf[len - 1] = ' ';
	ok(CHECK(len) == JUKI_WITNESS_BAD_REQUEST, "a malformed checkpoint note: 400");
#undef CHECK
	juki_note_signer_clear(&other);
	wlog_free(&lg);
	wlog_free(&fork);
}

