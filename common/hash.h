/* hash: the one non-cryptographic hash of the programs, 64-bit FNV-1a, for in-memory hash
 * tables (spool ids, reflector streams, the collector's caches) and host ids. Not for anything
 * an attacker could aim at for a secret: it is not keyed. Pure; any thread. */
#ifndef VR_HASH_H
#define VR_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a's 64-bit offset basis: the hash of no bytes. */
#define VR_HASH_FNV1A64_INIT UINT64_C(14695981039346656037)

/* Continues hash h over n bytes at p (n may be 0, p then may be NULL): hashing a key made of
 * several parts is vr_hash_fnv1a64_add over each part in turn, from VR_HASH_FNV1A64_INIT. */
uint64_t vr_hash_fnv1a64_add(uint64_t h, const void *p, size_t n);

/* FNV-1a 64 of n bytes at p. */
uint64_t vr_hash_fnv1a64(const void *p, size_t n);

#endif
