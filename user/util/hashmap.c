// SPDX-License-Identifier: MIT
/* Open addressing with linear probing and backward-shift deletion. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include "util/hashmap.h"

struct slot {
	uint64_t key;
	void *value;
	bool used;
};

struct hashmap {
	struct slot *slots;
	size_t cap;	/* power of two */
	size_t size;
};

static uint64_t mix(uint64_t k)
{
	/* splitmix64 finalizer */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	return k ^ (k >> 31);
}

struct hashmap *hashmap__new(void)
{
	struct hashmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void hashmap__free(struct hashmap *m, void (*free_value)(void *))
{
	if (!m)
		return;
	for (size_t i = 0; free_value && i < m->cap; i++)
		if (m->slots[i].used)
			free_value(m->slots[i].value);
	free(m->slots);
	free(m);
}

static struct slot *find(const struct hashmap *m, uint64_t key)
{
	size_t mask = m->cap - 1;

	for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];
		if (!s->used || s->key == key)
			return s;
	}
}

void *hashmap__get(const struct hashmap *m, uint64_t key)
{
	struct slot *s = find(m, key);

	return s->used ? s->value : NULL;
}

static int grow(struct hashmap *m)
{
	struct slot *old = m->slots;
	size_t old_cap = m->cap;

	m->slots = calloc(old_cap * 2, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	m->cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].used)
			*find(m, old[i].key) = old[i];
	free(old);
	return 0;
}

int hashmap__set(struct hashmap *m, uint64_t key, void *value)
{
	struct slot *s;

	if ((m->size + 1) * 10 > m->cap * 7 && grow(m))
		return -ENOMEM;
	s = find(m, key);
	if (!s->used) {
		s->used = true;
		s->key = key;
		m->size++;
	}
	s->value = value;
	return 0;
}

void *hashmap__del(struct hashmap *m, uint64_t key)
{
	size_t mask = m->cap - 1, i, j;
	struct slot *s = find(m, key);
	void *value;

	if (!s->used)
		return NULL;
	value = s->value;
	i = s - m->slots;
	/* backward-shift the following cluster so lookups stay correct */
	for (j = (i + 1) & mask; m->slots[j].used; j = (j + 1) & mask) {
		size_t home = mix(m->slots[j].key) & mask;
		/* move j into the hole at i unless its home lies in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].used = false;
	m->slots[i].value = NULL;
	m->size--;
	return value;
}

/*
 * Deleting while scanning: a deletion shifts the entries that follow in
 * the hole's probe sequence back, possibly into the slot just examined
 * (examined again, hence no advance), or from the start of the table into
 * its end when the cluster wraps around (entries scanned already and kept:
 * examined again, harmlessly). No entry moves into a slot already passed.
 */
size_t hashmap__del_upper(struct hashmap *m, uint32_t upper, void (*fn)(void *ctx, void *value),
			  void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < m->cap;) {
		struct slot *s = &m->slots[i];

		if (!s->used || s->key >> 32 != upper) {
			i++;
			continue;
		}
		void *v = hashmap__del(m, s->key);

		if (fn)
			fn(ctx, v);
		n++;
	}
	return n;
}

size_t hashmap__size(const struct hashmap *m)
{
	return m->size;
}

int hashmap__next(const struct hashmap *m, size_t *pos, uint64_t *key, void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->slots[*pos].used) {
			*key = m->slots[*pos].key;
			*value = m->slots[*pos].value;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}
