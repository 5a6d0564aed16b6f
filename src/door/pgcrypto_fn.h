/*-------------------------------------------------------------------------
 * pgcrypto_fn.h
 *		pgcrypto's crypt() and gen_salt(), only if they are pgcrypto's own.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_PGCRYPTO_FN_H
#define JUKI_PGCRYPTO_FN_H

/* Refused (logged under action, 55000) unless pgcrypto's own C functions. */
extern char *juki_pgcrypto_crypt(const char *action, const char *password, const char *salt);
extern char *juki_pgcrypto_gen_salt(const char *action, const char *type);

#endif							/* JUKI_PGCRYPTO_FN_H */
