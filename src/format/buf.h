/*-------------------------------------------------------------------------
 * buf.h
 *		A growable byte buffer and hex, for every part of the log's format
 *		(buf.c).  Free of PostgreSQL: only libc.
 *
 * The caller supplies the allocator so that the backend can use palloc'd
 * memory (freed with its memory context, even on error) and the standalone
 * tool can use realloc.  realloc_fn(NULL, n) allocates; realloc_fn must not
 * return NULL (the backend's errors out, the tool's aborts on
 * out-of-memory).  data is always NUL-terminated.
 *
 * Every function of the format that can fail returns false and leaves a
 * message in the caller's error buffer (JK_ERR_LEN bytes is enough); none
 * aborts, allocates behind the caller's back, or keeps global state.
 *-------------------------------------------------------------------------
 */
#ifndef JUKI_FORMAT_BUF_H
#define JUKI_FORMAT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JK_ERR_LEN		256

typedef void *(*jk_realloc_fn) (void *ptr, size_t size);

typedef struct JkBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	jk_realloc_fn realloc_fn;
} JkBuf;

extern void jk_buf_init(JkBuf *b, jk_realloc_fn realloc_fn);
extern void jk_buf_append_grow(JkBuf *b, const char *s, size_t n);
extern void jk_buf_append_str(JkBuf *b, const char *s);
extern void jk_buf_reset(JkBuf *b);		/* len = 0, keeps the storage */
extern void jk_buf_append_int64(JkBuf *b, int64_t v);	/* plain decimal */
extern void jk_buf_truncate(JkBuf *b, size_t len);	/* undo partial output */

/* Grow b so that extra more bytes and a NUL fit (the slow path). */
extern void jk_buf_grow(JkBuf *b, size_t extra);

/* Room for extra bytes and a NUL; inline because it runs per character. */
static inline void
jk_buf_reserve(JkBuf *b, size_t extra)
{
	/* with data allocated, cap >= len + 1 always holds */
	if (b->data != NULL && extra < b->cap - b->len)
		return;
	jk_buf_grow(b, extra);
}

/*
 * Append n bytes; s may point into b's own storage.  Inline: verification
 * appends a few dozen short pieces per entry.  With room, nothing moves.
 */
static inline void
jk_buf_append(JkBuf *b, const char *s, size_t n)
{
	if (b->data != NULL && n < b->cap - b->len)
	{
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	jk_buf_append_grow(b, s, n);
}

static inline void
jk_buf_putc(JkBuf *b, char c)
{
	jk_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* msg into err (if there is one), truncated to errlen. */
extern void jk_set_err(char *err, size_t errlen, const char *msg);

/* Lower-case hex.  jk_unhex accepts exactly 2*n hex digits (either case). */
extern const char jk_hex_digits[];
extern void jk_hex(const uint8_t *in, size_t n, char *out);	/* writes 2n+1 */
extern bool jk_unhex(const char *in, size_t len, uint8_t *out, size_t n);
extern int	jk_hex_value(char c);	/* a hex digit's value, or -1 */
extern bool jk_is_lower_hex(char c);

#endif							/* JUKI_FORMAT_BUF_H */
