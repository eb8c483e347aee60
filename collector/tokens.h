/* tokens: agent tokens. A token is 32 random bytes (getrandom) printed once as base64url; the
 * collector stores and looks up only its SHA-256 (OpenSSL EVP), so a stolen database does not
 * hand out working tokens. Lookup is by hash, so no constant-time compare is needed.
 * Pure functions over caller buffers; any thread. */
#ifndef VR_TOKENS_H
#define VR_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define VR_TOKEN_RAW_LEN  32
#define VR_TOKEN_TEXT_LEN 44  /* base64url of 32 bytes without padding is 43 chars, plus NUL */
#define VR_TOKEN_MAX_LEN  256 /* longest Authorization token we hash at all */

/* Fills text (>= VR_TOKEN_TEXT_LEN bytes) with a new random token and hash with its SHA-256.
 * 0 or -errno from getrandom, VR_EINVAL on a libcrypto failure. */
int vr_token_generate(char *text, size_t text_len, uint8_t hash[32]);

/* SHA-256 of the token text (len bytes). 0, or VR_EINVAL when len is 0 or over VR_TOKEN_MAX_LEN
 * or libcrypto fails. */
int vr_token_hash(const char *text, size_t len, uint8_t hash[32]);

/* Lower-case hex of n bytes into out (>= 2n+1 bytes). */
void vr_token_hex(const uint8_t *bytes, size_t n, char *out);

#endif
