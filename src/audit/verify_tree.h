/*-------------------------------------------------------------------------
 * verify_tree.h
 *		verify_log's Merkle-tree half (verify_tree.c): the tree rebuilt
 *		from the entries in the same pass as the chain, held against the
 *		stored tiles and the signed checkpoint notes.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_AUDIT_VERIFY_TREE_H
#define JUKI_AUDIT_VERIFY_TREE_H

#include "nodes/pg_list.h"

/* How verify_tree reports a finding to verify_log (the smallest seq wins). */
typedef void (*juki_vtree_fail_fn) (void *arg, int64 seq, const char *msg);

typedef struct JukiVTree JukiVTree;

/*
 * Begin at seq start (0, or after the purge anchor) with the Ed25519 public
 * keys (uint8[32] each) the notes must be signed with.  NULL when there is
 * no tile table (juki 1.0's tables).  SPI must stay connected until end.
 */
extern JukiVTree *juki_vtree_begin(int64 start, List *pubs, juki_vtree_fail_fn fail,
								   void *arg);
extern void juki_vtree_add(JukiVTree *t, int64 seq, const uint8 *leaf);
/*
 * The .note files of juki.checkpoint_directory against the stored notes
 * (chain_origin names this chain's files); SPI connected.
 */
extern void juki_verify_note_files(const uint8_t *chain_origin, juki_vtree_fail_fn fail,
								   void *arg);
/* next: the seq after the last entry read. */
extern void juki_vtree_end(JukiVTree *t, int64 next);

#endif							/* JUKI_AUDIT_VERIFY_TREE_H */
