/* Tests of collector/tokens.h: generation, encoding and hashing of agent tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tokens.h"

#include <cmocka.h>

static void test_token_generate_is_base64url_and_hashed(void **state)
{
    (void)state;
    char text[VR_TOKEN_TEXT_LEN];
    uint8_t hash[32], again[32];
    assert_int_equal(vr_token_generate(text, sizeof(text), hash), 0);
    assert_int_equal(strlen(text), 43);
    assert_int_equal(
        strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    assert_int_equal(vr_token_hash(text, strlen(text), again), 0);
    assert_memory_equal(hash, again, 32);
}

static void test_token_generate_differs_each_time(void **state)
{
    (void)state;
    char a[VR_TOKEN_TEXT_LEN], b[VR_TOKEN_TEXT_LEN];
    uint8_t ha[32], hb[32];
    assert_int_equal(vr_token_generate(a, sizeof(a), ha), 0);
    assert_int_equal(vr_token_generate(b, sizeof(b), hb), 0);
    assert_string_not_equal(a, b);
    assert_memory_not_equal(ha, hb, 32);
}

static void test_token_generate_rejects_short_buffer(void **state)
{
    (void)state;
    char text[8];
    uint8_t hash[32];
    assert_int_equal(vr_token_generate(text, sizeof(text), hash), VR_EINVAL);
}

static void test_token_hash_matches_sha256_vector(void **state)
{
    (void)state;
    uint8_t hash[32];
    char hex[65];
    assert_int_equal(vr_token_hash("abc", 3, hash), 0); /* FIPS 180-2 B.1 */
    vr_token_hex(hash, 32, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_token_hash_rejects_empty_and_long(void **state)
{
    (void)state;
    uint8_t hash[32];
    char big[VR_TOKEN_MAX_LEN + 1];
    memset(big, 'a', sizeof(big));
    assert_int_equal(vr_token_hash("", 0, hash), VR_EINVAL);
    assert_int_equal(vr_token_hash(big, sizeof(big), hash), VR_EINVAL);
    assert_int_equal(vr_token_hash(big, VR_TOKEN_MAX_LEN, hash), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_generate_is_base64url_and_hashed),
        cmocka_unit_test(test_token_generate_differs_each_time),
        cmocka_unit_test(test_token_generate_rejects_short_buffer),
        cmocka_unit_test(test_token_hash_matches_sha256_vector),
        cmocka_unit_test(test_token_hash_rejects_empty_and_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
