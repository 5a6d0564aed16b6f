/*-------------------------------------------------------------------------
 * state.h
 *		Cluster-wide state every backend consults on each request: the
 *		emergency stop (作動停止) and the policy generation that tells
 *		backends their cached policy is stale.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_STATE_H
#define JUKI_STATE_H

extern void juki_state_shmem_request(void);
extern void juki_state_shmem_startup(void);
extern void juki_state_init_backend(void);

/* Bumped when a transaction that changed policy commits. */
extern uint64 juki_policy_generation(void);
/* Call from any function that changes policy; takes effect at commit. */
extern void juki_policy_changed(void);

/* Emergency stop: true while stopped (read from juki.state if not known). */
extern bool juki_emergency_stopped(void);
/* Set at commit of the calling transaction (emergency_stop/resume). */
extern void juki_emergency_set_at_commit(bool stopped);
/* The writer publishes the persisted flag at start-up. */
extern void juki_emergency_publish(bool stopped);

#endif							/* JUKI_STATE_H */
