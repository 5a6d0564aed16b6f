/*-------------------------------------------------------------------------
 * juki.c
 *		_PG_init: wires juki's modules together when the library is
 *		preloaded — the settings, the shared memory of each module, the
 *		audit writer, the guard's hooks and the statement-text hooks.
 *
 * Nothing else lives here: each module owns its own state and says how it
 * is locked; this file only calls them in order.  Loaded any other way than
 * through shared_preload_libraries, _PG_init installs nothing (see
 * core/settings.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"

#include "core/message.h"
#include "core/objects.h"
#include "core/settings.h"
#include "core/state.h"
#include "log/head.h"
#include "log/wal.h"
#include "log/writer.h"
#include "door/session_table.h"
#include "door/volume.h"
#include "guard/guard.h"
#include "guard/guard_catalog.h"
#include "guard/statement_text.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
juki_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	juki_head_shmem_request();
	juki_state_shmem_request();
	juki_session_shmem_request();
	juki_volume_shmem_request();
}

static void
juki_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	juki_head_shmem_startup();
	juki_state_shmem_startup();
	juki_session_shmem_startup();
	juki_volume_shmem_startup();
}

/* One of juki's static workers, restarted at once if it dies. */
static void
register_worker(const char *name, const char *function, int flags, BgWorkerStartTime start)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = flags;
	worker.bgw_start_time = start;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "juki");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s", name);
	RegisterBackgroundWorker(&worker);
}

/* Module load: everything juki enforces is installed from here. */
void
_PG_init(void)
{
	/* juki's messages in lc_messages' language, preloaded or not */
	juki_message_init();
	if (!process_shared_preload_libraries_in_progress)
		return;
	/* pg_upgrade runs with its own rules; juki enforces nothing there */
	if (IsBinaryUpgrade)
		return;

	juki_settings_define();
	juki_preloaded = true;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = juki_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = juki_shmem_startup;
	/* the operation log's records travel through WAL (log/wal.c) */
	juki_wal_register();
	register_worker("juki audit writer", "juki_audit_writer_main",
					BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION,
					BgWorkerStart_RecoveryFinished);
	/*
	 * A standby's keeper of juki's slot (log/slot_keeper.c): started with the
	 * postmaster so that it runs during recovery whether or not hot_standby
	 * is on; it exits at once on a primary.
	 */
	register_worker("juki slot keeper", "juki_slot_keeper_main",
					BGWORKER_SHMEM_ACCESS, BgWorkerStart_PostmasterStart);
	juki_objects_install();
	juki_guard_install();
	juki_statistics_sweep_hook = juki_statistics_sweep;
	juki_statement_text_install();
}
