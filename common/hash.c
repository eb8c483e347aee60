/* hash: 64-bit FNV-1a; see hash.h. */
#include "hash.h"

#define FNV1A64_PRIME UINT64_C(1099511628211)

uint64_t vr_hash_fnv1a64_add(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV1A64_PRIME;
    }
    return h;
}

uint64_t vr_hash_fnv1a64(const void *p, size_t n)
{
    return vr_hash_fnv1a64_add(VR_HASH_FNV1A64_INIT, p, n);
}
