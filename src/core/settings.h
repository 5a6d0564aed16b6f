/*-------------------------------------------------------------------------
 * settings.h
 *		juki's settings (every juki.* GUC) and whether juki was preloaded
 *		in this process; see README "Configuration".
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_SETTINGS_H
#define JUKI_SETTINGS_H

/* sessions and logins */
extern int	juki_idle_timeout_ms;
extern int	juki_max_login_failures;
extern int	juki_password_max_age_min;
extern int	juki_max_sessions;

/* the operation log */
extern int	juki_audit_wait_timeout_ms;
extern int	juki_audit_max_backlog;
extern bool juki_synchronous_standby_wait;
extern int	juki_checkpoint_interval_s;
extern int	juki_verify_workers;
extern char *juki_signing_key_file;
extern char *juki_checkpoint_directory;
extern int	juki_log_retention_years;
extern char *juki_log_origin;
extern char *juki_witness_keys;
/* The witnesses' verifier keys of juki.witness_keys (struct JukiNoteKey). */
#define JUKI_MAX_WITNESS_KEYS 16
struct JukiNoteKey;
extern int	juki_witness_keys_get(struct JukiNoteKey *keys, int max);

/* where and when */
extern char *juki_timezone;
extern char *juki_database;

/* codes */
extern bool juki_check_resident_code_digit;

/* volume: ceilings per statement and per window (door/volume.c) */
#define JUKI_VOLUME_MAX_ROWS	100000000
extern int	juki_statement_rows;
extern int	juki_window_rows;
extern int	juki_volume_window_min;

/* statement texts (guard/statement_text.c) */
extern bool juki_redact_statements;

/* Define every juki.* setting and reserve the prefix (_PG_init). */
extern void juki_settings_define(void);

/* true only in processes where juki came in via shared_preload_libraries */
extern bool juki_preloaded;

/* Refuse (55000) anything that needs the hooks, shared memory or the writer. */
extern void juki_require_preload(void);

#endif							/* JUKI_SETTINGS_H */
