/*-------------------------------------------------------------------------
 * verify_tree.h
 *		juki_verify's Merkle-tree checks (verify_tree.c): signed checkpoint
 *		notes and C2SP tlog-proof files against an export from seq 0.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_TOOLS_VERIFY_TREE_H
#define JUKI_TOOLS_VERIFY_TREE_H

#include <stdio.h>

#include "export_reader.h"

/* A --note or --proof file, whole. */
typedef struct TreeInput
{
	char	   *text;
	size_t		len;
	const char *file;
	bool		is_proof;		/* tlog-proof file, else a checkpoint note */
} TreeInput;

typedef struct TreeInputs
{
	TreeInput  *v;
	size_t		n;
} TreeInputs;

/*
 * Each note must be signed by one of keys (under its own origin) and give
 * the root of the export's first <size> entries; each proof's note too,
 * and its inclusion proof must lead from the export's entry at its index
 * to that root.  f is the (already verified) export, rewindable.  0 if all
 * hold, else 1 with r->message set.
 */
extern int	juki_verify_tree(FILE *f, const Keys *keys, const TreeInputs *in, Report *r);

#endif							/* JUKI_TOOLS_VERIFY_TREE_H */
