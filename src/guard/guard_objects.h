/*-------------------------------------------------------------------------
 * guard_objects.h
 *		DDL on juki's own objects, and the object-access backstop
 *		(guard_objects.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_OBJECTS_H
#define JUKI_GUARD_OBJECTS_H

#include "catalog/objectaccess.h"
#include "nodes/parsenodes.h"

/* Statement-level refusals of DDL on juki's objects (before any lock). */
extern void juki_check_utility_objects(Node *parsetree);

/* The object_access hook's judgement of DDL reaching juki's objects. */
extern void juki_check_object_access(ObjectAccessType access, Oid classId,
									 Oid objectId, int subId, void *arg);

#endif							/* JUKI_GUARD_OBJECTS_H */
