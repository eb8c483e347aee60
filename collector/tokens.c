#include "tokens.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 §5 without padding: the token goes into a header and a shell, so no '+', '/', '='. */
static size_t encode_b64url(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

int vr_token_hash(const char *text, size_t len, uint8_t hash[32])
{
    if (len == 0 || len > VR_TOKEN_MAX_LEN)
        return VR_EINVAL;
    unsigned int out_len = 0;
    if (EVP_Digest(text, len, hash, &out_len, EVP_sha256(), NULL) != 1 || out_len != 32)
        return VR_EINVAL;
    return 0;
}

int vr_token_generate(char *text, size_t text_len, uint8_t hash[32])
{
    uint8_t raw[VR_TOKEN_RAW_LEN];
    if (text_len < VR_TOKEN_TEXT_LEN)
        return VR_EINVAL;
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)n;
    }
    size_t len = encode_b64url(raw, sizeof(raw), text);
    memset(raw, 0, sizeof(raw));
    return vr_token_hash(text, len, hash);
}

void vr_token_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}
