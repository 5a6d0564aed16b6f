/*-------------------------------------------------------------------------
 * refusal.h
 *		How a refusal ends: logged (durable), then raised with
 *		"reason: <code>" in its DETAIL (refusal.c).
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_REFUSAL_H
#define JUKI_REFUSAL_H

/*
 * Log action with outcome denied (denied) or error, the reason, the
 * operator and purpose (JUKI_NO_ID / NULL: none) and the message, and raise
 * sqlerrcode with msg, "reason: <reason>" and the hint.
 */
extern void juki_refuse_on_record(const char *action, bool denied, const char *reason,
								  int sqlerrcode, const char *msg, const char *hint,
								  int64 operator_id, const char *purpose) pg_attribute_noreturn();

/* Bad input (outcome error): 22023 and the like. */
extern void juki_bad_input(const char *action, const char *reason, int sqlerrcode,
						   const char *msg, const char *hint) pg_attribute_noreturn();

#endif							/* JUKI_REFUSAL_H */
