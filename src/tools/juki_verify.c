/*-------------------------------------------------------------------------
 * juki_verify.c
 *		Verify a juki export file (format/export.h, DESIGN §7.6) without a database.
 *
 *   juki_verify --key PUBKEY.pem [--key ...] [--checkpoint FILE ...]
 *               [--note FILE ...] [--proof FILE ...] [--quiet] EXPORT_FILE
 *
 * Checks the header, that entries F..T are all present in order, that each
 * entry has the fields of the log format (format/entry.h: every 1.0 field, only
 * fields it knows, later fields never null), that each line's hash is
 * SHA-256(previous hash || canonical entry), every checkpoint
 * (in the export and in the --checkpoint files) against the given keys and
 * the entries, that one valid checkpoint is at T, and the trailer.  Prints
 * "OK: ..." or "FAIL: ..." on stdout; exits 0 only if the export is valid.
 * Usage errors and unreadable inputs go to stderr, exit 1.
 *
 * With --note (a C2SP signed checkpoint note) or --proof (a C2SP
 * tlog-proof file), the export (from seq 0) must also give each note's
 * Merkle root and each proof must verify (verify_tree.c).
 *
 * Memory does not grow with the number of entries: a first pass over the
 * file collects the seqs that checkpoints name, and the second pass keeps
 * only the entry hashes at those seqs.  Input that cannot be rewound (a
 * pipe) is first copied to a temporary file.
 *
 * juki_verify_export() (verify_export.c, reading with export_reader.c)
 * holds all of the logic and touches nothing global, so a fuzz target can
 * call it on an fmemopen()ed buffer; this file is the command line.
 *-------------------------------------------------------------------------
 */#include "format/buf.h"
#include "format/json.h"
#include "format/json_check.h"
#include "format/hash.h"
#include "format/timestamp.h"
#include "format/checkpoint.h"
#include "format/export.h"
#include "format/entry.h"
#include "verify_export.h"
#include "verify_tree.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/err.h>
#include <openssl/evp.h>

/* ---------------------------------------------------------------------
 * Command line
 * ---------------------------------------------------------------------
 */

static void
usage(FILE *out)
{
	fprintf(out,
			"usage: juki_verify --key PUBKEY.pem [--key ...] [--checkpoint FILE ...]\n"
			"                   [--note FILE ...] [--proof FILE ...] [--quiet] EXPORT_FILE\n"
			"Verifies a juki export file (\"-\" reads standard input) against the\n"
			"Ed25519 public keys of the checkpoint signers.  Prints OK or FAIL on\n"
			"stdout; exit status 0 only if the export is valid.\n");
}

/* Whole file into a malloc'd buffer; NULL (errno set) on failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf = NULL;
	size_t		cap = 0;
	size_t		n = 0;

	if (f == NULL)
		return NULL;
	for (;;)
	{
		size_t		got;

		if (cap - n < 4096)
		{
			cap = cap ? 2 * cap : 8192;
			buf = juki_verify_xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
	{
		int			save = errno;

		fclose(f);
		free(buf);
		errno = save;
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Load one --key PEM; errors go to stderr (a usage problem, not a FAIL). */
static bool
add_key(Keys *keys, const char *path)
{
	size_t		len = 0;
	char	   *pem = slurp(path, &len);
	char		err[JK_ERR_LEN];
	Key			k;

	if (pem == NULL)
	{
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
		return false;
	}
	if (!jk_ed25519_pub_from_pem(pem, len, k.pub, err, sizeof(err)))
	{
		fprintf(stderr, "juki_verify: %s: %s\n", path, err);
		free(pem);
		return false;
	}
	free(pem);
	if (!jk_key_id(k.pub, k.id))
	{
		fprintf(stderr, "juki_verify: %s: cannot compute the key id\n", path);
		return false;
	}
	keys->v = juki_verify_xrealloc(keys->v, (keys->n + 1) * sizeof(Key));
	keys->v[keys->n++] = k;
	return true;
}

static bool
is_blank(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* Every non-blank line of a checkpoint file (checked later, with the export). */
static bool
add_checkpoints(Checkpoints *cps, const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	long		lineno = 0;
	bool		ok;

	if (f == NULL)
	{
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
		return false;
	}
	while ((n = getline(&line, &cap, f)) >= 0)
	{
		ExtraCheckpoint *e;

		lineno++;
		if (is_blank(line, (size_t) n))
			continue;
		cps->v = juki_verify_xrealloc(cps->v, (cps->n + 1) * sizeof(ExtraCheckpoint));
		e = &cps->v[cps->n++];
		e->line = juki_verify_xrealloc(NULL, (size_t) n + 1);
		memcpy(e->line, line, (size_t) n + 1);
		e->len = (size_t) n;
		e->file = path;
		e->lineno = lineno;
	}
	ok = !ferror(f);
	if (!ok)
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
	free(line);
	fclose(f);
	return ok;
}

/* A --note or --proof file, whole. */
static bool
add_tree_input(TreeInputs *in, const char *path, bool is_proof)
{
	size_t		len = 0;
	char	   *text = slurp(path, &len);

	if (text == NULL)
	{
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
		return false;
	}
	in->v = juki_verify_xrealloc(in->v, (in->n + 1) * sizeof(TreeInput));
	in->v[in->n].text = text;
	in->v[in->n].len = len;
	in->v[in->n].file = path;
	in->v[in->n].is_proof = is_proof;
	in->n++;
	return true;
}

/* A rewindable stream for path ("-" = stdin), copying a pipe to a temp file. */
static FILE *
open_export(const char *path)
{
	FILE	   *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	FILE	   *tmp;
	char		buf[65536];
	size_t		n;

	if (in == NULL)
		return NULL;
	if (in != stdin && fseeko(in, 0, SEEK_SET) == 0)
		return in;
	tmp = tmpfile();
	if (tmp == NULL)
	{
		if (in != stdin)
			fclose(in);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
	{
		if (fwrite(buf, 1, n, tmp) != n)
			break;
	}
	if (ferror(in) || ferror(tmp))
	{
		int			save = errno;

		if (in != stdin)
			fclose(in);
		fclose(tmp);
		errno = save;
		return NULL;
	}
	if (in != stdin)
		fclose(in);
	return tmp;
}

/* Exit status is 0 for a valid export and 1 for anything else. */
int
main(int argc, char **argv)
{
	Keys		keys = {NULL, 0};
	Checkpoints extra = {NULL, 0};
	TreeInputs	tree = {NULL, 0};
	bool		quiet = false;
	const char *path = NULL;
	FILE	   *f = NULL;
	Report		r;
	int			status = 1;
	int			i;
	size_t		j;

	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage(stdout);
			status = 0;
			goto out;
		}
		else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
			quiet = true;
		else if (strcmp(a, "--key") == 0 || strcmp(a, "--checkpoint") == 0)
		{
			if (i + 1 >= argc)
			{
				fprintf(stderr, "juki_verify: %s needs a file name\n", a);
				usage(stderr);
				goto out;
			}
			if (a[2] == 'k' ? !add_key(&keys, argv[i + 1])
				: !add_checkpoints(&extra, argv[i + 1]))
				goto out;
			i++;
		}
		else if (strcmp(a, "--note") == 0 || strcmp(a, "--proof") == 0)
		{
			if (i + 1 >= argc)
			{
				fprintf(stderr, "juki_verify: %s needs a file name\n", a);
				usage(stderr);
				goto out;
			}
			if (!add_tree_input(&tree, argv[i + 1], a[2] == 'p'))
				goto out;
			i++;
		}
		else if (strncmp(a, "--key=", 6) == 0)
		{
			if (!add_key(&keys, a + 6))
				goto out;
		}
		else if (strncmp(a, "--checkpoint=", 13) == 0)
		{
			if (!add_checkpoints(&extra, a + 13))
				goto out;
		}
		else if (a[0] == '-' && a[1] != '\0')
		{
			fprintf(stderr, "juki_verify: unknown option %s\n", a);
			usage(stderr);
			goto out;
		}
		else if (path != NULL)
		{
			fprintf(stderr, "juki_verify: only one export file\n");
			usage(stderr);
			goto out;
		}
		else
			path = a;
	}
	if (keys.n == 0 || path == NULL)
	{
		fprintf(stderr, "juki_verify: %s\n",
				keys.n == 0 ? "at least one --key is required" : "no export file given");
		usage(stderr);
		goto out;
	}
	f = open_export(path);
	if (f == NULL)
	{
		fprintf(stderr, "juki_verify: cannot read %s: %s\n", path, strerror(errno));
		goto out;
	}

	memset(&r, 0, sizeof(r));
	r.notes = quiet ? NULL : stderr;
	if (juki_verify_export(f, &keys, &extra, &r) == 0 &&
		juki_verify_tree(f, &keys, &tree, &r) == 0)
	{
		if (!quiet)
			printf("OK: %" PRId64 " entries, seq %" PRId64 "..%" PRId64 ", origin %.16s, "
				   "covered by checkpoint at seq %" PRId64 " (key %s)%s\n",
				   r.entries, r.from_seq, r.to_seq, r.origin, r.to_seq, r.covered_key,
				   tree.n ? "; Merkle notes and proofs verified" : "");
		status = 0;
	}
	else
		printf("FAIL: %s\n", r.message);
	if (fflush(stdout) != 0)
		status = 1;

out:
	if (f != NULL && f != stdin)
		fclose(f);
	for (j = 0; j < extra.n; j++)
		free(extra.v[j].line);
	free(extra.v);
	for (j = 0; j < tree.n; j++)
		free(tree.v[j].text);
	free(tree.v);
	free(keys.v);
	return status;
}
