/*-------------------------------------------------------------------------
 * verify_tree.c
 *		juki_verify --note / --proof (issue 17): the Merkle tree of the
 *		export's entries (RFC 6962, leaf = SHA-256(0x00 || canonical entry),
 *		doc/MERKLE.md), checked against C2SP checkpoint notes and tlog-proof
 *		files signed by the log's key.
 *
 * The tree needs every entry from seq 0, so these checks need an export
 * that starts there.  One pass over the export: leaves go into a frontier
 * (constant memory); the root is taken at each size a note names, and the
 * leaf hashes at the indexes proofs name are kept.
 *-------------------------------------------------------------------------
 */
#include "format/buf.h"
#include "format/checkpoint.h"
#include "format/merkle.h"
#include "format/note.h"
#include "verify_tree.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct Claim
{
	const TreeInput *in;
	JukiCheckpoint cp;
	JukiTlogProof *proof;		/* NULL for a note */
	bool		root_seen;
	bool		leaf_seen;
	uint8_t		leaf[JUKI_HASH_LEN];
} Claim;

/* The note opens under one of keys, named by the note's origin. */
static bool
note_signed(const char *note, size_t len, const Keys *keys, JukiCheckpoint *cp,
			char *err, size_t errlen)
{
	JukiNote	n;
	size_t		i;

	if (!juki_note_parse(note, len, &n, err, errlen) ||
		!juki_checkpoint_parse(n.text, n.text_len, cp, err, errlen))
		return false;
	for (i = 0; i < keys->n; i++)
	{
		JukiNoteKey k;
		JukiCheckpoint c2;

		if (juki_note_key_make(cp->origin, cp->origin_len, JUKI_SIGTYPE_ED25519,
							   keys->v[i].pub, &k, err, errlen) &&
			juki_checkpoint_open(note, len, &k, NULL, 0, &c2, NULL, NULL, err, errlen) ==
			JUKI_NOTE_VERIFIED)
			return true;
	}
	snprintf(err, errlen, "not signed by any given key");
	return false;
}

int
juki_verify_tree(FILE *f, const Keys *keys, const TreeInputs *in, Report *r)
{
	Verifier	v;
	Claim	   *c;
	JukiHasher	h;
	JukiMerkleFrontier *fr;
	char		err[256];
	size_t		i;
	int			rc;
	int			status = 1;
	uint64_t	n = 0;

	if (in->n == 0)
		return 0;
	memset(&v, 0, sizeof(v));
	v.f = f;
	v.keys = keys;
	v.r = r;
	c = calloc(in->n, sizeof(Claim));
	fr = malloc(sizeof(JukiMerkleFrontier));
	if (c == NULL || fr == NULL || !juki_hasher_init(&h, err, sizeof(err)))
	{
		free(c);
		free(fr);
		snprintf(r->message, sizeof(r->message), "out of memory");
		return 1;
	}
	juki_frontier_init(fr);
	for (i = 0; i < in->n; i++)
	{
		const char *note = in->v[i].text;
		size_t		len = in->v[i].len;

		c[i].in = &in->v[i];
		if (in->v[i].is_proof)
		{
			c[i].proof = malloc(sizeof(JukiTlogProof));
			if (c[i].proof == NULL ||
				!juki_tlog_proof_parse(note, len, c[i].proof, err, sizeof(err)))
			{
				juki_verify_fail(&v, "%s: not a tlog-proof file: %s", in->v[i].file,
								 c[i].proof ? err : "out of memory");
				goto out;
			}
			note = c[i].proof->note;
			len = c[i].proof->note_len;
		}
		if (!note_signed(note, len, keys, &c[i].cp, err, sizeof(err)))
		{
			juki_verify_fail(&v, "%s: the checkpoint note is not valid: %s", in->v[i].file, err);
			goto out;
		}
		if (c[i].proof && c[i].proof->index >= c[i].cp.size)
		{
			juki_verify_fail(&v, "%s: index %" PRIu64 " is not in a tree of size %" PRIu64,
							 in->v[i].file, c[i].proof->index, c[i].cp.size);
			goto out;
		}
	}

	if (juki_verify_first_line(&v) != 0)
		goto out;
	juki_verify_detect_copy_escaping(&v);
	if (!juki_verify_starts_with(v.line, v.len, "{") || strstr(v.line, "\"from_seq\":0,") == NULL)
	{
		juki_verify_fail(&v, "the Merkle tree needs the export from seq 0 (export_log(0))");
		goto out;
	}
	while ((rc = juki_verify_read_line(&v)) > 0)
	{
		uint8_t		leaf[JUKI_HASH_LEN];

		if (v.len < 66 || v.line[64] != ' ' || v.line[65] != '{' ||
			!juki_verify_all_lower_hex(v.line, 64))
			continue;			/* not an entry line (checked by the export pass) */
		if (!juki_merkle_leaf_hash(&h, v.line + 65, v.len - 65, leaf, err, sizeof(err)) ||
			!juki_frontier_append(&h, fr, leaf, err, sizeof(err)))
		{
			juki_verify_fail(&v, "SHA-256: %s", err);
			goto out;
		}
		for (i = 0; i < in->n; i++)
			if (c[i].proof && c[i].proof->index == n)
			{
				memcpy(c[i].leaf, leaf, JUKI_HASH_LEN);
				c[i].leaf_seen = true;
			}
		n++;
		for (i = 0; i < in->n; i++)
		{
			uint8_t		root[JUKI_HASH_LEN];

			if (c[i].cp.size != n)
				continue;
			if (!juki_frontier_root(&h, fr, root, err, sizeof(err)))
			{
				juki_verify_fail(&v, "SHA-256: %s", err);
				goto out;
			}
			c[i].root_seen = true;
			if (memcmp(root, c[i].cp.root, JUKI_HASH_LEN) != 0)
			{
				juki_verify_fail(&v, "%s: the export's first %" PRIu64 " entries give another tree root than the signed note (the log was rewritten)",
								 c[i].in->file, n);
				goto out;
			}
		}
	}
	if (rc < 0)
	{
		juki_verify_fail(&v, "read error: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < in->n; i++)
	{
		if (!c[i].root_seen)
		{
			juki_verify_fail(&v, "%s: the note's tree of %" PRIu64 " entries is longer than the export (%" PRIu64 " entries): entries missing",
							 c[i].in->file, c[i].cp.size, n);
			goto out;
		}
		if (c[i].proof &&
			(!c[i].leaf_seen ||
			 !juki_merkle_verify_inclusion(&h, c[i].proof->index, c[i].cp.size, c[i].leaf,
										   (const uint8_t (*)[JUKI_HASH_LEN]) c[i].proof->proof,
										   c[i].proof->nproof, c[i].cp.root, err, sizeof(err))))
		{
			juki_verify_fail(&v, "%s: the inclusion proof of entry %" PRIu64 " does not verify",
							 c[i].in->file, c[i].proof->index);
			goto out;
		}
	}
	status = 0;
out:
	juki_hasher_free(&h);
	for (i = 0; i < in->n; i++)
		free(c[i].proof);
	free(c);
	free(fr);
	free(v.line);
	return status;
}
