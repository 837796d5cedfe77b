/* arena.c — the bump allocator behind every graph. Memory comes from a list
 * of large chunks; allocations are zeroed and aligned (16 bytes, 64 for
 * blocks of 64 bytes or more so constant data suits vector loads). Nothing is
 * freed individually: ir_arena_free releases every chunk at once. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

#define CHUNK_SIZE (256 * 1024)

typedef struct chunk {
	struct chunk *next;
	size_t size;   /* usable bytes after the header */
	size_t used;
} chunk;

struct ir_arena {
	chunk *head;   /* current chunk for small allocations */
	chunk *big;    /* dedicated chunks for large allocations */
};

/* The chunk header is padded to 64 bytes so payload offsets keep alignment. */
#define HDR 64

static chunk *chunk_new(size_t size)
{
	if (size > SIZE_MAX - HDR - 64)
		return NULL;
	size_t total = (HDR + size + 63) & ~(size_t)63;
	chunk *c = aligned_alloc(64, total);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = total - HDR;
	c->used = 0;
	return c;
}

ir_arena *ir_arena_new(void)
{
	ir_arena *a = calloc(1, sizeof *a);
	return a;
}

static void chunks_free(chunk *c)
{
	while (c) {
		chunk *next = c->next;
		free(c);
		c = next;
	}
}

void ir_arena_free(ir_arena *a)
{
	if (!a)
		return;
	chunks_free(a->head);
	chunks_free(a->big);
	free(a);
}

/* Zeroed, 16-byte aligned (64 for n >= 64); NULL only when out of memory.
 * n == 0 returns a valid unique pointer. */
void *ir_alloc(ir_arena *a, size_t n)
{
	size_t align = n >= 64 ? 64 : 16;
	if (n == 0)
		n = 1;
	if (n > CHUNK_SIZE / 4) {
		chunk *c = chunk_new(n);
		if (!c)
			return NULL;
		c->next = a->big;
		a->big = c;
		c->used = n;
		void *p = (char *)c + HDR;
		memset(p, 0, n);
		return p;
	}
	chunk *c = a->head;
	size_t off = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || off + n > c->size) {
		c = chunk_new(CHUNK_SIZE);
		if (!c)
			return NULL;
		c->next = a->head;
		a->head = c;
		off = 0;
	}
	c->used = off + n;
	void *p = (char *)c + HDR + off;
	memset(p, 0, n);
	return p;
}

/* Copies the first n bytes of s (stopping early at a NUL) plus a NUL. */
char *ir_strndup(ir_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	size_t len = strnlen(s, n);
	char *d = ir_alloc(a, len + 1);
	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = 0;
	return d;
}

char *ir_strdup(ir_arena *a, const char *s)
{
	if (!s)
		return NULL;
	return ir_strndup(a, s, strlen(s));
}
