/*-------------------------------------------------------------------------
 * state.c
 *		The emergency stop flag and the policy generation, in shared
 *		memory, both changed only when the transaction that changed the
 *		underlying table commits.
 *
 * Why at commit: a backend that sees a new generation reloads its cached
 * policy with a fresh snapshot, which must already contain the change.
 * Bumping before commit could let a reader reload the old rows and cache
 * them under the new generation.  The emergency flag is persisted in
 * juki.state (so it survives a restart: the writer republishes it at
 * start-up) and mirrored here so that every request checks it in a few
 * nanoseconds.  The SQL functions that set it are sql/emergency.c.
 *
 * Locking: none.  Both values are atomics (one 64-bit counter, one 32-bit
 * flag), written whole and read whole; the struct is created once under
 * AddinShmemInitLock.  A reader that sees the flag still unknown (the
 * writer has not published it yet) reads juki.state instead.  What to
 * publish at commit is backend-local until the transaction callback writes
 * it.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/ipc.h"
#include "executor/spi.h"

#include "spi.h"
#include "state.h"

#define EMERGENCY_UNKNOWN	0
#define EMERGENCY_RUNNING	1
#define EMERGENCY_STOPPED	2

typedef struct JukiSharedState
{
	pg_atomic_uint64 policy_generation;
	pg_atomic_uint32 emergency;
} JukiSharedState;

static JukiSharedState *shared = NULL;

/* backend-local: what to publish when the current transaction commits */
static bool bump_at_commit = false;
static int	emergency_at_commit = EMERGENCY_UNKNOWN;
static bool callback_registered = false;

void
juki_state_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(JukiSharedState)));
}

void
juki_state_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("juki state", sizeof(JukiSharedState), &found);
	if (!found)
	{
		/* start at 1 so that a zeroed cache entry is never current */
		pg_atomic_init_u64(&shared->policy_generation, 1);
		pg_atomic_init_u32(&shared->emergency, EMERGENCY_UNKNOWN);
	}
	LWLockRelease(AddinShmemInitLock);
}

static void
state_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		if (emergency_at_commit != EMERGENCY_UNKNOWN)
			pg_atomic_write_u32(&shared->emergency, emergency_at_commit);
		if (bump_at_commit || emergency_at_commit != EMERGENCY_UNKNOWN)
			pg_atomic_fetch_add_u64(&shared->policy_generation, 1);
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		bump_at_commit = false;
		emergency_at_commit = EMERGENCY_UNKNOWN;
	}
}

void
juki_state_init_backend(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(state_xact_callback, NULL);
		callback_registered = true;
	}
}

uint64
juki_policy_generation(void)
{
	return pg_atomic_read_u64(&shared->policy_generation);
}

void
juki_policy_changed(void)
{
	juki_state_init_backend();
	bump_at_commit = true;
}

void
juki_emergency_set_at_commit(bool stopped)
{
	juki_state_init_backend();
	emergency_at_commit = stopped ? EMERGENCY_STOPPED : EMERGENCY_RUNNING;
}

void
juki_emergency_publish(bool stopped)
{
	pg_atomic_write_u32(&shared->emergency, stopped ? EMERGENCY_STOPPED : EMERGENCY_RUNNING);
	pg_atomic_fetch_add_u64(&shared->policy_generation, 1);
}

/* Not yet published (the writer has not started): read the table. */
bool
juki_emergency_stopped(void)
{
	uint32		v = pg_atomic_read_u32(&shared->emergency);
	bool		stopped = false;

	JukiSpi		spi;

	if (v != EMERGENCY_UNKNOWN)
		return v == EMERGENCY_STOPPED;
	juki_spi_begin(&spi);
	if (SPI_execute("SELECT emergency_stop FROM juki.state", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;

		stopped = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	juki_spi_end(&spi);
	return stopped;
}
