/*-------------------------------------------------------------------------
 * guard_settings.h
 *		Protected settings: juki.*, preload libraries, and settings that
 *		load code, run programs, expose statements or weaken durability
 *		(guard_settings.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_GUARD_SETTINGS_H
#define JUKI_GUARD_SETTINGS_H

#include "nodes/nodes.h"

extern void juki_check_setting_statement(Node *parsetree);
extern void juki_check_set_config_name(const char *name);
extern void juki_check_session_settings(const char *command);

#endif							/* JUKI_GUARD_SETTINGS_H */
