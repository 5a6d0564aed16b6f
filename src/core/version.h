/*-------------------------------------------------------------------------
 * version.h
 *		Library version against the installed SQL version (version.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_VERSION_H
#define JUKI_VERSION_H

/* extversion of juki in this database ("" if none); cached per generation */
extern const char *juki_installed_version(void);
extern bool juki_sql_is_current(void);

#endif							/* JUKI_VERSION_H */
