/*-------------------------------------------------------------------------
 * door.h
 *		What every juki function does at the door: establish who is
 *		calling, check real role membership, and run its fixed SQL with
 *		the extension owner's privileges and a safe search_path.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_DOOR_H
#define JUKI_DOOR_H

#include "postgres.h"

/*
 * The caller: the role in effect (after SET ROLE), never a definer's.
 * juki_require_role also requires that it acts as itself (identity.h).
 */
extern Oid	juki_caller(void);
extern char *juki_caller_name(void);

/* Real membership (superuser alone is not membership). */
extern bool juki_caller_has_role(const char *role);

/*
 * Refuse unless the caller really belongs to one of roles (NULL-ended):
 * logs action denied with reason role_required, then ERROR 42501; a member
 * is then refused (impersonation, privileged_role) unless it acts as
 * itself, and (check_conflicts) if it holds conflicting duties.
 */
extern void juki_require_role(const char *action, const char *const *roles);
extern void juki_require_role_ex(const char *action, const char *const *roles,
								 bool check_conflicts);

/* Run SPI as the owner of schema juki with search_path = pg_catalog. */
typedef struct JukiSpi
{
	Oid			save_user;
	int			save_sec;
	int			guc_level;
} JukiSpi;
extern void juki_spi_begin(JukiSpi *st);
extern void juki_spi_end(JukiSpi *st);

/* Log a refusal for bad input (outcome error) and raise it: 22023 etc. */
extern void juki_bad_input(const char *action, const char *reason, int sqlerrcode,
						   const char *msg, const char *hint) pg_attribute_noreturn();

#endif							/* JUKI_DOOR_H */
