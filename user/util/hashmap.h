/* SPDX-License-Identifier: MIT */
/* Open-addressing hash map from a 64-bit key to a pointer. */
#ifndef TRACER_HASHMAP_H
#define TRACER_HASHMAP_H
#include <stddef.h>
#include <stdint.h>

struct hashmap;

struct hashmap *hashmap__new(void);
/* free the map; FREE_VALUE (may be NULL) is called on every value */
void hashmap__free(struct hashmap *m, void (*free_value)(void *));
void *hashmap__get(const struct hashmap *m, uint64_t key);
/* insert or replace; 0 or -ENOMEM */
int hashmap__set(struct hashmap *m, uint64_t key, void *value);
/* remove and return the value, or NULL */
void *hashmap__del(struct hashmap *m, uint64_t key);
size_t hashmap__size(const struct hashmap *m);
/* remove every entry whose key's upper 32 bits are UPPER (keys made as
 * pid << 32 | tid: a process's), calling FN (may be NULL) on each value
 * once it is out of the map; returns how many */
size_t hashmap__del_upper(struct hashmap *m, uint32_t upper, void (*fn)(void *ctx, void *value),
			  void *ctx);
/* iterate: start with *pos = 0; returns 1 and fills key/value, 0 at end */
int hashmap__next(const struct hashmap *m, size_t *pos, uint64_t *key, void **value);
#endif
