/*-------------------------------------------------------------------------
 * hash.h
 *		SHA-256 and the hash chain (hash.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_HASH_H
#define JUKI_FORMAT_HASH_H

#include "buf.h"

#define JK_HASH_LEN		32		/* SHA-256 */
#define JK_HEX_LEN		64		/* hex of a hash, without NUL */

/* hash(e) = SHA-256(prev_hash || canonical(e)) */
extern bool jk_chain_hash(const uint8_t prev[JK_HASH_LEN], const char *canon,
						  size_t len, uint8_t out[JK_HASH_LEN]);
extern bool jk_sha256(const void *data, size_t len, uint8_t out[JK_HASH_LEN]);

#endif							/* JUKI_FORMAT_HASH_H */
