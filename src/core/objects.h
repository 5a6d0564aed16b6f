/*-------------------------------------------------------------------------
 * objects.h
 *		juki's extension, schema and relations, by OID (objects.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_OBJECTS_H
#define JUKI_OBJECTS_H

/* Kinds of relation in schema juki. */
typedef enum JukiRelKind
{
	JUKI_REL_NONE,				/* not juki's */
	JUKI_REL_LOG,				/* operation_log, audit_checkpoint, audit_export, log_tile */
	JUKI_REL_DATA				/* every other relation of schema juki */
} JukiRelKind;

/* extension juki and its schema in this database; InvalidOid if none */
extern Oid	juki_extension_oid(void);
extern Oid	juki_namespace(void);

/* Is relid juki's (an index, sequence or TOAST table: of its table), and the log? */
extern JukiRelKind juki_rel_kind(Oid relid);

/* Is relid configuration pg_dump keeps (extconfig and juki's list)? */
extern bool juki_rel_is_config(Oid relid);

/* juki.log_tile by identity; InvalidOid if juki's tables have none (1.0). */
extern Oid	juki_log_tile_relation(void);

/* Forget the cached OIDs (around CREATE/ALTER/DROP EXTENSION). */
extern void juki_objects_invalidate(void);

/* Register the cache invalidation callbacks (once, at preload). */
extern void juki_objects_install(void);

#endif							/* JUKI_OBJECTS_H */
