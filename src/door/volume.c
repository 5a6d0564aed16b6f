/*-------------------------------------------------------------------------
 * volume.c
 *		How many residents may leave through the door (issue 13, class 9).
 *
 * A purpose's max_rows bounds one request, and many requests escape it: one
 * statement of generate_series × LATERAL juki.lookup disclosed a whole
 * town.  So each purpose also has two ceilings on rows disclosed without a
 * bulk permit (its own statement_rows / window_rows, or juki.statement_rows
 * / juki.window_rows, never below its max_rows):
 *
 *	statement	rows one statement may disclose.  A statement is one run of
 *				a portal, known by the portal's creation time (the
 *				statement_timestamp() of the client command that made it):
 *				every call in one SQL statement, in a PL/pgSQL loop, in a
 *				procedure that commits, in one multi-statement query
 *				message, and every FETCH from one cursor count together.
 *				Counted in backend memory: a statement runs in one backend,
 *				and rolling back a subtransaction does not give rows back.
 *	window		rows one operator may disclose in juki.volume_window,
 *				sliding, counted in twelfths (a row counts for 12/12 to
 *				13/12 of the window).  Counted in shared memory per operator
 *				and purpose, so that neither a rollback, nor a new
 *				connection, nor a new login, nor a pooled application's
 *				one-statement calls start it afresh; after a restart the
 *				counts are rebuilt from the operation log, which holds every
 *				granted disclosure with its row count.
 *
 * Beyond either ceiling only a bulk permit lets rows through.  The first
 * statement that uses one may disclose at most its bulk_rows rows under it
 * (they count against the permit, not the ceilings); the durable log then
 * marks it used for every other statement (policy.c).
 *
 * Rows are counted when they are about to be logged and returned; a request
 * whose log entry then cannot be written still counts (fail closed).
 *
 * Locking: volume->lock guards the hash table of windows and
 * volume->seeded.  A charge looks, checks and adds under the lock held
 * exclusively, so concurrent requests of one operator cannot both take the
 * last rows of a window.  Rebuilding from the log (once per shared-memory
 * lifetime) runs under a transaction-level lock of juki's own (locks.h),
 * so that one backend reads the log while the others wait (interruptibly), and
 * publishes its counts under volume->lock; nothing is charged before it.
 * Once a backend has seen volume->seeded it remembers so (seeded_here):
 * the flag never goes back within one shared memory.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "access/xact.h"

#include "core/settings.h"
#include "core/spi.h"
#include "core/locks.h"
#include "log/append.h"
#include "statement_rows.h"
#include "volume.h"

#define TWELFTHS			12
#define SLOTS				(TWELFTHS + 1)	/* the twelfths of the window, and now's */

typedef struct VolumeKey
{
	int64		operator_id;
	char		purpose[NAMEDATALEN];	/* zero-padded: the key is hashed as bytes */
} VolumeKey;

typedef struct VolumeEntry
{
	VolumeKey	key;
	int64		twelfth[SLOTS]; /* which twelfth each slot counts */
	int64		rows[SLOTS];
} VolumeEntry;

typedef struct VolumeShared
{
	LWLock	   *lock;
	bool		seeded;			/* windows rebuilt from the log */
} VolumeShared;

static VolumeShared *volume = NULL;
static HTAB *windows = NULL;
static bool seeded_here = false;	/* seeding never reverts in this shared memory */

/* ------------------------------------------------------- shared memory */

/* (operator, purpose) windows with rows in them: four per session slot */
static long
window_capacity(void)
{
	return 4L * juki_max_sessions;
}

void
juki_volume_shmem_request(void)
{
	RequestAddinShmemSpace(add_size(MAXALIGN(sizeof(VolumeShared)),
									hash_estimate_size(window_capacity(), sizeof(VolumeEntry))));
	RequestNamedLWLockTranche("juki_volume", 1);
}

void
juki_volume_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	volume = ShmemInitStruct("juki volume", sizeof(VolumeShared), &found);
	if (!found)
	{
		volume->lock = &(GetNamedLWLockTranche("juki_volume"))->lock;
		volume->seeded = false;
	}
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(VolumeKey);
	info.entrysize = sizeof(VolumeEntry);
	windows = ShmemInitHash("juki volume windows", window_capacity(), window_capacity(),
							&info, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	LWLockRelease(AddinShmemInitLock);
}

/* ------------------------------------------------------------ ceilings */

static void
ceilings(const JukiPurpose *p, int64 *statement, int64 *window)
{
	int64		s = p->statement_rows > 0 ? p->statement_rows :
		Max((int64) juki_statement_rows, (int64) p->max_rows);

	*statement = s;
	*window = p->window_rows > 0 ? p->window_rows : Max((int64) juki_window_rows, s);
}

static int64
twelfth_us(void)
{
	return Max((int64) juki_volume_window_min * USECS_PER_MINUTE / TWELFTHS, 1);
}

static int64
twelfth_now(void)
{
	return GetCurrentTimestamp() / twelfth_us();
}

/* ------------------------------------------------------------ windows */

static int64
window_sum(const VolumeEntry *e, int64 now)
{
	int64		sum = 0;
	int			i;

	for (i = 0; i < SLOTS; i++)
		if (e->twelfth[i] > now - SLOTS && e->twelfth[i] <= now)
			sum += e->rows[i];
	return sum;
}

static void
window_add(VolumeEntry *e, int64 twelfth, int64 n)
{
	int			slot = (int) (((twelfth % SLOTS) + SLOTS) % SLOTS);

	/* a slot holds one twelfth; an older one there has left the window */
	if (e->twelfth[slot] < twelfth)
	{
		e->twelfth[slot] = twelfth;
		e->rows[slot] = 0;
	}
	e->rows[slot] += n;
}

static void
window_key(VolumeKey *key, int64 operator_id, const char *purpose)
{
	memset(key, 0, sizeof(*key));
	key->operator_id = operator_id;
	strlcpy(key->purpose, purpose, sizeof(key->purpose));
}

/* Drop windows with nothing left in them.  Caller holds the lock exclusively. */
static void
evict_empty(int64 now)
{
	HASH_SEQ_STATUS seq;
	VolumeEntry *e;

	hash_seq_init(&seq, windows);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (window_sum(e, now) == 0)
			(void) hash_search(windows, &e->key, HASH_REMOVE, NULL);
}

/* The window of (operator, purpose), made if missing; NULL when the table is full. */
static VolumeEntry *
window_enter(int64 operator_id, const char *purpose, int64 now)
{
	VolumeKey	key;
	VolumeEntry *e;
	bool		found;

	window_key(&key, operator_id, purpose);
	e = hash_search(windows, &key, HASH_ENTER_NULL, &found);
	if (e == NULL)
	{
		evict_empty(now);
		e = hash_search(windows, &key, HASH_ENTER_NULL, &found);
	}
	if (e != NULL && !found)
	{
		memset(e->twelfth, 0, sizeof(e->twelfth));
		memset(e->rows, 0, sizeof(e->rows));
	}
	return e;
}

/* ------------------------------------------------ rebuilding from the log */

/*
 * The first seq whose entry is not older than since.  Entries reach the log
 * in the order the writer receives them, so ts grows with seq except for
 * records that waited for the writer: a binary search over the primary key
 * instead of reading the whole log, started early enough to cover them.
 */
static int64
first_seq_since(TimestampTz since)
{
	Oid			type = INT8OID;
	SPIPlanPtr	plan;
	bool		isnull;
	int64		lo,
				hi;

	if (SPI_execute("SELECT min(seq), max(seq) FROM juki.operation_log", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "juki: cannot read the operation log's bounds");
	lo = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		return 0;
	hi = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) + 1;
	plan = SPI_prepare("SELECT ts FROM juki.operation_log WHERE seq >= $1 ORDER BY seq LIMIT 1", 1, &type);
	if (plan == NULL)
		elog(ERROR, "juki: cannot prepare the operation log probe");
	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		Datum		arg = Int64GetDatum(mid);

		if (SPI_execute_plan(plan, &arg, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "juki: cannot probe the operation log");
		if (SPI_processed == 0 ||
			DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											  &isnull)) >= since)
			hi = mid;
		else
			lo = mid + 1;
	}
	SPI_freeplan(plan);
	return lo;
}

typedef struct Seed
{
	int64		operator_id;
	char	   *purpose;
	int64		twelfth;
	int64		rows;
} Seed;

/*
 * Granted disclosures of the last window, not under a bulk permit, read
 * from the log into *seeds (allocated in the caller's context).
 */
static void
read_seeds(int64 now, int64 width, Seed **seeds, uint64 *nseeds)
{
	TimestampTz since = (now - TWELFTHS) * width;
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, INT8OID};
	Datum		args[3];
	JukiSpi		spi;
	uint64		i;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext old;

	juki_spi_begin(&spi);
	PushActiveSnapshot(GetLatestSnapshot());
	args[0] = Int64GetDatum(first_seq_since(since - USECS_PER_HOUR -
											(int64) juki_audit_wait_timeout_ms * 1000));
	args[1] = TimestampTzGetDatum(since);
	args[2] = Int64GetDatum(width);
	if (SPI_execute_with_args("SELECT operator_id, purpose,"
							  " floor(extract(epoch FROM ts - $2) * 1000000 / $3)::bigint,"
							  " sum(row_count)::bigint"
							  " FROM juki.operation_log WHERE seq >= $1 AND ts >= $2"
							  " AND action IN ('lookup', 'search', 'issue_form') AND outcome = 'granted'"
							  " AND operator_id IS NOT NULL AND purpose IS NOT NULL AND row_count > 0"
							  " AND NOT coalesce(detail ? 'bulk_rows', false)"
							  " GROUP BY 1, 2, 3",
							  3, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "juki: cannot read the operation log's disclosures");
	old = MemoryContextSwitchTo(caller);
	*nseeds = SPI_processed;
	*seeds = palloc0(sizeof(Seed) * Max(*nseeds, 1));
	for (i = 0; i < *nseeds; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		k;

		(*seeds)[i].operator_id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		(*seeds)[i].purpose = SPI_getvalue(t, d, 2);
		k = DatumGetInt64(SPI_getbinval(t, d, 3, &isnull));
		/* an entry dated ahead of this clock counts as now */
		(*seeds)[i].twelfth = now - TWELFTHS + Min(Max(k, 0), TWELFTHS);
		(*seeds)[i].rows = DatumGetInt64(SPI_getbinval(t, d, 4, &isnull));
	}
	MemoryContextSwitchTo(old);
	PopActiveSnapshot();
	juki_spi_end(&spi);
}

/*
 * The windows rebuilt from the log.  Returns false (and leaves the table
 * empty) if they do not fit.
 */
static bool
seed_from_log(void)
{
	int64		now = twelfth_now();
	Seed	   *seeds = NULL;
	uint64		nseeds = 0;
	uint64		i;
	bool		ok = true;

	/*
	 * Only the earlier runs' disclosures are needed (none is charged in this
	 * run before the windows are seeded), and the writer files those before
	 * it opens the gate: so wait for the gate, never for the writer's backlog
	 * (after a restart under load, the first lookup waited for it).
	 */
	juki_log_read_recovered_only = true;
	PG_TRY();
	{
		read_seeds(now, twelfth_us(), &seeds, &nseeds);
	}
	PG_FINALLY();
	{
		juki_log_read_recovered_only = false;
	}
	PG_END_TRY();

	LWLockAcquire(volume->lock, LW_EXCLUSIVE);
	if (!volume->seeded)
	{
		for (i = 0; i < nseeds && ok; i++)
		{
			VolumeEntry *e = window_enter(seeds[i].operator_id, seeds[i].purpose, now);

			if (e == NULL)
				ok = false;
			else
				window_add(e, seeds[i].twelfth, seeds[i].rows);
		}
		if (ok)
			volume->seeded = true;
		else
		{
			/* all or nothing: a later attempt must not count twice */
			HASH_SEQ_STATUS seq;
			VolumeEntry *e;

			hash_seq_init(&seq, windows);
			while ((e = hash_seq_search(&seq)) != NULL)
				(void) hash_search(windows, &e->key, HASH_REMOVE, NULL);
		}
	}
	LWLockRelease(volume->lock);
	return ok;
}

/* Windows rebuilt from the log since shared memory was made?  false: they do not fit. */
static bool
ensure_seeded(void)
{
	bool		seeded;
	LOCKTAG		tag;

	if (seeded_here)
		return true;
	LWLockAcquire(volume->lock, LW_SHARED);
	seeded = volume->seeded;
	LWLockRelease(volume->lock);
	if (seeded)
		return seeded_here = true;
	/* one backend reads the log; the others wait for it, interruptibly */
	juki_lock_tag(&tag, JUKI_LOCK_VOLUME_SEED, 0);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	LWLockAcquire(volume->lock, LW_SHARED);
	seeded = volume->seeded;
	LWLockRelease(volume->lock);
	seeded_here = seeded || seed_from_log();
	return seeded_here;
}

/* Rows of the operator's window for the purpose; -1 if it cannot be known. */
static int64
window_used(int64 operator_id, const char *purpose)
{
	VolumeKey	key;
	VolumeEntry *e;
	int64		used = 0;

	if (!ensure_seeded())
		return -1;
	window_key(&key, operator_id, purpose);
	LWLockAcquire(volume->lock, LW_SHARED);
	e = hash_search(windows, &key, HASH_FIND, NULL);
	if (e != NULL)
		used = window_sum(e, twelfth_now());
	LWLockRelease(volume->lock);
	return used;
}

/* ------------------------------------------------------------ refusals */

static const char *
window_text(void)
{
	if (juki_volume_window_min % 60 == 0)
		return psprintf("%d h", juki_volume_window_min / 60);
	return psprintf("%d min", juki_volume_window_min);
}

static bool
refuse(JukiVolumeRefusal *why, const char *ceiling, int64 limit, int64 disclosed, int64 n,
	   const JukiRequest *req)
{
	why->reason = "volume_exceeded";
	why->sqlstate = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
	why->ceiling = ceiling;
	why->limit = limit;
	why->disclosed = disclosed;
	why->requested = n;
	if (strcmp(ceiling, "bulk_permit") == 0)
	{
		why->message = psprintf(gettext_noop("the bulk permit for purpose %s allows a set number of residents in its one statement "
											 "(limit %lld, disclosed under it so far %lld, this request %lld)"),
								req->purpose, (long long) limit, (long long) disclosed, (long long) n);
		why->hint = pstrdup(gettext_noop("A bulk permit allows exactly its bulk_rows; request another for the rest."));
		return false;
	}
	if (strcmp(ceiling, "statement") == 0)
		why->message = psprintf(gettext_noop("purpose %s limits the residents one statement may disclose without a bulk permit "
											 "(limit %lld, disclosed by this statement so far %lld, this request %lld)"),
								req->purpose, (long long) limit, (long long) disclosed, (long long) n);
	else
		why->message = psprintf(gettext_noop("purpose %s limits the residents an operator may see without a bulk permit "
											 "(limit %lld per %s, seen by this operator so far %lld, this request %lld)"),
								req->purpose, (long long) limit, window_text(),
								(long long) disclosed, (long long) n);
	why->hint = pstrdup(gettext_noop("Beyond this ceiling a bulk permit is needed: juki.request_permit(..., bulk_rows => N), "
						"approved by a security officer of the department."));
	return false;
}

static bool
refuse_untracked(JukiVolumeRefusal *why, int64 n)
{
	why->reason = "volume_table_full";
	why->sqlstate = ERRCODE_CONFIGURATION_LIMIT_EXCEEDED;
	why->ceiling = "window";
	why->limit = window_capacity();
	why->requested = n;
	why->message = psprintf(gettext_noop("juki cannot count this disclosure: its table of operator windows is full (%ld entries)"),
							window_capacity());
	why->hint = pstrdup(gettext_noop("Raise juki.max_sessions (the table holds four windows per session) and restart."));
	return false;
}

void
juki_volume_detail(JukiDetail *jd, const JukiVolumeRefusal *why)
{
	jd_str(jd, "ceiling", why->ceiling);
	jd_int(jd, "limit", why->limit);
	jd_int(jd, "disclosed", why->disclosed);
	jd_int(jd, "requested", why->requested);
}

/* --------------------------------------------------------------- entry */

bool
juki_volume_beyond(const JukiRequest *req, const JukiDecision *d, int64 bound)
{
	int64		statement_limit;
	int64		window_limit;
	JukiStatementRows *c;
	int64		used;

	if (d->permit == NULL || d->permit->bulk_rows > 0 || d->session == NULL)
		return false;
	ceilings(d->purpose, &statement_limit, &window_limit);
	c = juki_statement_counter(req->purpose, 0, false);
	if ((c ? c->rows : 0) + bound <= statement_limit)
	{
		used = window_used(d->session->operator_id, req->purpose);
		if (used >= 0 && used + bound <= window_limit)
			return false;
	}
	return true;
}

bool
juki_volume_charge(const JukiRequest *req, const JukiDecision *d, int64 n, JukiVolumeRefusal *why)
{
	int64		statement_limit;
	int64		window_limit;
	int64		now;
	int64		used = 0;
	bool		full = false;
	JukiStatementRows *c;
	VolumeEntry *e;

	memset(why, 0, sizeof(*why));
	if (d->permit->bulk_rows > 0)
	{
		/* counted even at 0 rows: the log marks the permit used all the same */
		c = juki_statement_counter(NULL, d->permit->id, true);
		if (c->rows + n > d->permit->bulk_rows)
			return refuse(why, "bulk_permit", d->permit->bulk_rows, c->rows, n, req);
		c->rows += n;
		return true;
	}

	ceilings(d->purpose, &statement_limit, &window_limit);
	c = juki_statement_counter(req->purpose, 0, true);
	if (c->rows + n > statement_limit)
		return refuse(why, "statement", statement_limit, c->rows, n, req);
	if (n == 0)
		return true;
	if (!ensure_seeded())
		return refuse_untracked(why, n);

	now = twelfth_now();
	LWLockAcquire(volume->lock, LW_EXCLUSIVE);
	e = window_enter(d->session->operator_id, req->purpose, now);
	if (e == NULL)
		full = true;
	else
	{
		used = window_sum(e, now);
		if (used + n <= window_limit)
			window_add(e, now, n);
	}
	LWLockRelease(volume->lock);
	if (full)
		return refuse_untracked(why, n);
	if (used + n > window_limit)
		return refuse(why, "window", window_limit, used, n, req);
	c->rows += n;
	return true;
}
