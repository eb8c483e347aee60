/* hash.h: FNV-1a 64 against the reference vectors of its authors' test suite. */
/* System headers before cmocka.h: with UNIT_TESTING it redefines malloc and friends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

static void test_fnv1a64_reference_vectors(void **state)
{
    (void)state;
    assert_true(vr_hash_fnv1a64(NULL, 0) == UINT64_C(0xcbf29ce484222325));
    assert_true(vr_hash_fnv1a64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(vr_hash_fnv1a64("foobar", 6) == UINT64_C(0x85944171f73967e8));
}

static void test_fnv1a64_add_continues(void **state)
{
    (void)state;
    uint64_t h = vr_hash_fnv1a64_add(VR_HASH_FNV1A64_INIT, "foo", 3);
    assert_true(vr_hash_fnv1a64_add(h, "bar", 3) == vr_hash_fnv1a64("foobar", 6));
    assert_true(vr_hash_fnv1a64_add(h, NULL, 0) == h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a64_reference_vectors),
        cmocka_unit_test(test_fnv1a64_add_continues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
