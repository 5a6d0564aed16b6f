/*-------------------------------------------------------------------------
 * tile.c
 *		C2SP tlog-tiles geometry for tiles of height 8 (see merkle.h and
 *		doc/MERKLE.md): which tile holds a node, tile widths, tile paths,
 *		the tiles a proof reads, and a node callback backed by tiles.
 *
 * Same rules as merkle.c: libc and libcrypto only, no global state, no
 * aborts, every failure a false return with a message.
 *-------------------------------------------------------------------------
 */
#include "merkle.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool
fail(char *err, size_t errlen, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

static bool
fail(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

int
juki_tile_width(int level, uint64_t index, uint64_t n)
{
	uint64_t	count;
	uint64_t	start;

	if (level < 0 || level > JUKI_TILE_MAX_LEVEL)
		return 0;
	/* hashes of level 8L in a tree of size n */
	count = n >> (JUKI_TILE_HEIGHT * level);
	if (index > count / JUKI_TILE_WIDTH)
		return 0;
	start = index * JUKI_TILE_WIDTH;
	if (count - start >= JUKI_TILE_WIDTH)
		return JUKI_TILE_WIDTH;
	return (int) (count - start);
}

bool
juki_tile_for_node(int level, uint64_t index, uint64_t n, JukiTile *tile,
				   int *first, int *count, char *err, size_t errlen)
{
	int			r;
	uint64_t	base;

	if (level < 0 || level > JUKI_MERKLE_MAX_LEVEL - 1)
		return fail(err, errlen, "node level %d is out of range", level);
	if (index >= (n >> level))
		return fail(err, errlen,
					"node (%d, %" PRIu64 ") is not complete in a tree of size %" PRIu64,
					level, index, n);
	tile->level = level / JUKI_TILE_HEIGHT;
	r = level % JUKI_TILE_HEIGHT;
	/* the node's first descendant at the tile's level 8L */
	base = index << r;
	tile->index = base / JUKI_TILE_WIDTH;
	tile->width = juki_tile_width(tile->level, tile->index, n);
	*first = (int) (base % JUKI_TILE_WIDTH);
	*count = 1 << r;
	if (tile->width < *first + *count)
		return fail(err, errlen, "tile geometry error for node (%d, %" PRIu64 ")",
					level, index);
	return true;
}

bool
juki_tile_node_hash(JukiHasher *h, const JukiTile *tile, const uint8_t *data,
					size_t datalen, int level, uint64_t index,
					uint8_t out[JUKI_HASH_LEN], char *err, size_t errlen)
{
	uint8_t		work[JUKI_TILE_WIDTH / 2][JUKI_HASH_LEN];
	int			r;
	int			first;
	int			cnt;
	int			i;
	uint64_t	base;

	if (tile->width < 1 || tile->width > JUKI_TILE_WIDTH ||
		datalen != (size_t) tile->width * JUKI_HASH_LEN)
		return fail(err, errlen, "tile data has %zu bytes for width %d",
					datalen, tile->width);
	if (level < 0 || level > JUKI_MERKLE_MAX_LEVEL - 1 ||
		level / JUKI_TILE_HEIGHT != tile->level)
		return fail(err, errlen, "node level %d is not in a tile of level %d",
					level, tile->level);
	r = level % JUKI_TILE_HEIGHT;
	if (index > (UINT64_MAX >> r))
		return fail(err, errlen, "node index out of range");
	base = index << r;
	if (base / JUKI_TILE_WIDTH != tile->index)
		return fail(err, errlen, "node (%d, %" PRIu64 ") is not in tile %" PRIu64,
					level, index, tile->index);
	first = (int) (base % JUKI_TILE_WIDTH);
	cnt = 1 << r;
	if (first + cnt > tile->width)
		return fail(err, errlen, "node (%d, %" PRIu64 ") is past the tile's width %d",
					level, index, tile->width);
	if (cnt == 1)
	{
		memcpy(out, data + (size_t) first * JUKI_HASH_LEN, JUKI_HASH_LEN);
		return true;
	}
	/* a perfect subtree: hash pairs level by level */
	for (i = 0; i < cnt / 2; i++)
	{
		const uint8_t *p = data + (size_t) (first + 2 * i) * JUKI_HASH_LEN;

		if (!juki_merkle_node_hash(h, p, p + JUKI_HASH_LEN, work[i], err, errlen))
			return false;
	}
	for (cnt /= 2; cnt > 1; cnt /= 2)
	{
		for (i = 0; i < cnt / 2; i++)
		{
			if (!juki_merkle_node_hash(h, work[2 * i], work[2 * i + 1], work[i],
									   err, errlen))
				return false;
		}
	}
	memcpy(out, work[0], JUKI_HASH_LEN);
	return true;
}

bool
juki_tile_path(const JukiTile *tile, bool entries, char *out, size_t outlen,
			   char *err, size_t errlen)
{
	char		digits[32];
	char		buf[JUKI_TILE_PATH_MAX];
	size_t		nd;
	size_t		pad;
	size_t		pos;
	size_t		i;
	int			w;

	if (tile->width < 1 || tile->width > JUKI_TILE_WIDTH)
		return fail(err, errlen, "tile width %d is out of range", tile->width);
	if (!entries && (tile->level < 0 || tile->level > 63))
		return fail(err, errlen, "tile level %d is out of range", tile->level);
	snprintf(digits, sizeof(digits), "%" PRIu64, tile->index);
	nd = strlen(digits);
	pad = (3 - nd % 3) % 3;
	if (entries)
		w = snprintf(buf, sizeof(buf), "tile/entries/");
	else
		w = snprintf(buf, sizeof(buf), "tile/%d/", tile->level);
	pos = (size_t) w;
	/* zero-pad to whole groups of three digits; all but the last get 'x' */
	for (i = 0; i < nd + pad; i++)
	{
		if (i % 3 == 0 && i + 3 < nd + pad)
			buf[pos++] = 'x';
		buf[pos++] = i < pad ? '0' : digits[i - pad];
		if (i % 3 == 2 && i + 1 < nd + pad)
			buf[pos++] = '/';
	}
	buf[pos] = '\0';
	if (tile->width < JUKI_TILE_WIDTH)
		pos += (size_t) snprintf(buf + pos, sizeof(buf) - pos, ".p/%d", tile->width);
	if (pos + 1 > outlen)
		return fail(err, errlen, "tile path buffer too small");
	memcpy(out, buf, pos + 1);
	return true;
}

/* A decimal without leading zeros ("0" alone allowed), at most max. */
static bool
parse_dec(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t	x = 0;
	size_t		i;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (x > (max - (uint64_t) (s[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t) (s[i] - '0');
	}
	*v = x;
	return true;
}

bool
juki_tile_parse_path(const char *path, size_t len, JukiTile *tile, bool *entries,
					 char *err, size_t errlen)
{
	const char *p = path;
	const char *end = path + len;
	const char *q;
	uint64_t	v;
	uint64_t	n = 0;
	int			groups = 0;

	if (len < 5 || memcmp(p, "tile/", 5) != 0)
		return fail(err, errlen, "tile path does not start with \"tile/\"");
	p += 5;
	*entries = false;
	tile->level = 0;
	if ((size_t) (end - p) >= 8 && memcmp(p, "entries/", 8) == 0)
	{
		*entries = true;
		p += 8;
	}
	else
	{
		for (q = p; q < end && *q != '/'; q++)
			;
		if (q == end || !parse_dec(p, (size_t) (q - p), 63, &v))
			return fail(err, errlen, "bad tile level");
		tile->level = (int) v;
		p = q + 1;
	}
	/* N: "x" DDD "/" groups, then a last DDD */
	for (;;)
	{
		bool		x = (p < end && *p == 'x');
		int			i;

		if (x)
			p++;
		if (end - p < 3)
			return fail(err, errlen, "bad tile index");
		for (i = 0; i < 3; i++)
		{
			if (p[i] < '0' || p[i] > '9')
				return fail(err, errlen, "bad tile index");
		}
		if (groups == 0 && x && memcmp(p, "000", 3) == 0)
			return fail(err, errlen, "tile index has a leading zero group");
		if (n > ((uint64_t) INT64_MAX - 999) / 1000)
			return fail(err, errlen, "tile index is too large");
		n = n * 1000 + (uint64_t) ((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
		p += 3;
		groups++;
		if (!x)
			break;
		if (p >= end || *p != '/')
			return fail(err, errlen, "bad tile index");
		p++;
	}
	tile->index = n;
	tile->width = JUKI_TILE_WIDTH;
	if (p == end)
		return true;
	if (end - p < 4 || memcmp(p, ".p/", 3) != 0)
		return fail(err, errlen, "trailing characters after tile index");
	p += 3;
	if (!parse_dec(p, (size_t) (end - p), JUKI_TILE_WIDTH - 1, &v) || v == 0)
		return fail(err, errlen, "bad partial tile width");
	tile->width = (int) v;
	return true;
}

/* Node requests recorded as tiles, for juki_tiles_for_*. */
typedef struct TileList
{
	uint64_t	tree_size;
	JukiTile   *tiles;
	int			max;
	int			n;
} TileList;

static bool
record_node(void *arg, int level, uint64_t index, uint8_t out[JUKI_HASH_LEN],
			char *err, size_t errlen)
{
	TileList   *tl = (TileList *) arg;
	JukiTile	t;
	int			first;
	int			count;
	int			i;

	if (!juki_tile_for_node(level, index, tl->tree_size, &t, &first, &count, err, errlen))
		return false;
	for (i = 0; i < tl->n; i++)
	{
		if (tl->tiles[i].level == t.level && tl->tiles[i].index == t.index)
			return true;
	}
	if (tl->n >= tl->max)
		return fail(err, errlen, "more than %d tiles", tl->max);
	tl->tiles[tl->n++] = t;
	memset(out, 0, JUKI_HASH_LEN);
	return true;
}

bool
juki_tiles_for_inclusion(uint64_t index, uint64_t n, JukiTile *tiles, int maxtiles,
						 int *ntiles, char *err, size_t errlen)
{
	TileList	tl = {n, tiles, maxtiles, 0};

	*ntiles = 0;
	if (!juki_merkle_proof_nodes(record_node, &tl, false, index, n, err, errlen))
		return false;
	*ntiles = tl.n;
	return true;
}

bool
juki_tiles_for_consistency(uint64_t m, uint64_t n, JukiTile *tiles, int maxtiles,
						   int *ntiles, char *err, size_t errlen)
{
	TileList	tl = {n, tiles, maxtiles, 0};

	*ntiles = 0;
	if (!juki_merkle_proof_nodes(record_node, &tl, true, m, n, err, errlen))
		return false;
	*ntiles = tl.n;
	return true;
}

bool
juki_tile_node_fn(void *arg, int level, uint64_t index, uint8_t out[JUKI_HASH_LEN],
				  char *err, size_t errlen)
{
	JukiTileReader *rd = (JukiTileReader *) arg;
	JukiTile	t;
	int			first;
	int			count;

	if (!juki_tile_for_node(level, index, rd->tree_size, &t, &first, &count, err, errlen))
		return false;
	if (!rd->cached || rd->cache_tile.level != t.level ||
		rd->cache_tile.index != t.index || rd->cache_tile.width != t.width)
	{
		rd->cached = false;
		if (!rd->fetch(rd->fetch_arg, &t, rd->cache, err, errlen))
			return false;
		rd->cache_tile = t;
		rd->cached = true;
	}
	return juki_tile_node_hash(rd->hasher, &t, rd->cache,
							   (size_t) t.width * JUKI_HASH_LEN, level, index,
							   out, err, errlen);
}
