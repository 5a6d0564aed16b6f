/*-------------------------------------------------------------------------
 * guard_files.h
 *		Server files by real path: juki's data directory, signing key and
 *		checkpoint directory, through any function or foreign table
 *		(guard_files.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_FILES_H
#define JUKI_GUARD_FILES_H

#include "nodes/pg_list.h"

extern void juki_check_server_file(const char *command, const char *path, bool write);
extern void juki_check_foreign_table(const char *command, Oid relid);
extern void juki_check_foreign_table_options(const char *command, Oid serverid,
											 List *options);

#endif							/* JUKI_GUARD_FILES_H */
