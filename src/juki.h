/*-------------------------------------------------------------------------
 * juki.h
 *		Declarations shared by juki's modules: GUC variables, the preload
 *		check and the code validators.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_H
#define JUKI_H

#include "postgres.h"


/* GUC variables (juki.c); see README "Configuration" */
extern int	juki_idle_timeout_ms;
extern int	juki_max_login_failures;
extern int	juki_password_max_age_min;
extern int	juki_audit_wait_timeout_ms;
extern int	juki_audit_queue_size_kb;
extern int	juki_checkpoint_interval_s;
extern char *juki_signing_key_file;
extern char *juki_checkpoint_directory;
extern int	juki_log_retention_years;
extern char *juki_timezone;
extern char *juki_database;
extern bool juki_check_resident_code_digit;
extern int	juki_max_sessions;

/* true only in processes where juki came in via shared_preload_libraries */
extern bool juki_preloaded;

extern void juki_require_preload(void);

/* codes.c: pure validators, usable without preload */
extern bool juki_resident_code_ok(const char *s, size_t len, const char **why);
extern bool juki_individual_number_ok(const char *s, size_t len, const char **why);
extern bool juki_municipality_code_ok(const char *s, size_t len, const char **why);
extern bool juki_ymd_ok(const char *s, size_t len, int min_year, int *y, int *m, int *d);

#endif							/* JUKI_H */
