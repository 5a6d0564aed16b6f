/*-------------------------------------------------------------------------
 * export.h
 *		Export files (export.c; juki_verify reads them).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_EXPORT_H
#define JUKI_FORMAT_EXPORT_H

#include "buf.h"
#include "hash.h"

/*
 * Export files (DESIGN §7.6), UTF-8 text, one record per line, '\n' ends
 * every line:
 *
 *   1. header:  a canonical JSON object
 *        {"exported_at":"<ts>","format":"juki-export/1","from_seq":F,
 *         "origin":"<64 hex>","prev_hash":"<64 hex>","probe":"\\","to_seq":T}
 *      prev_hash is the hash of entry F-1 (32 zero bytes when F = 0); probe is
 *      a JSON string holding one backslash, so a reader can tell whether the
 *      file went through COPY's text-format escaping (\\ doubled: undo it).
 *   2. one line per entry F..T in seq order:  <64 hex hash> SP <canonical>
 *   3. one or more checkpoint lines (juki-checkpoint/1 ...), the first of
 *      which is at seq T (the export always ends at a checkpoint).
 *   4. trailer:  juki-export-end lines=<N> sha256=<64 hex>
 *      N counts lines 1-3; the digest is SHA-256 over their bytes, each with
 *      its '\n' (i.e. `head -n -1 file | sha256sum` on an unescaped file).
 */
#define JK_EXPORT_FORMAT	"juki-export/1"
#define JK_EXPORT_END_TAG	"juki-export-end"

/* Append the header line (without '\n'). */
extern void jk_export_header(JkBuf *out, int64_t from_seq, int64_t to_seq,
							 const uint8_t origin[JK_HASH_LEN],
							 const uint8_t prev_hash[JK_HASH_LEN],
							 const char *exported_at);

#endif							/* JUKI_FORMAT_EXPORT_H */
