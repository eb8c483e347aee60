/* libFuzzer harness for the collector's ingest path: the bytes are the body of a
 * POST /api/v1/records from an authenticated agent, handled by the real API code (NDJSON
 * splitting, JSON parsing, record validation, scoring, storage in a scratch SQLite file), and
 * also parsed as one record by vr_record_from_json. Built like fuzz_probe.c: with replay.c it
 * becomes fuzz_ingest_replay, which replays a corpus directory (gcc builds, no libFuzzer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "metrics.h"
#include "rec_ack.h"
#include "record.h"
#include "store.h"
#include "tokens.h"

#define TOKEN "fuzz-token-0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char db_path[] = "/tmp/vr-fuzz-ingest-XXXXXX";

static void remove_db(void)
{
    char p[64];
    unlink(db_path);
    snprintf(p, sizeof(p), "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", db_path);
    unlink(p);
}

static struct vr_api *api_once(void)
{
    static struct vr_api *api;
    struct vr_store *store = NULL;
    struct vr_errbuf eb = {{0}};
    uint8_t hash[32];
    int64_t id;
    int fd;

    if (api != NULL)
        return api;
    fd = mkstemp(db_path);
    if (fd < 0)
        abort();
    close(fd);
    unlink(db_path); /* the store creates it */
    atexit(remove_db);
    if (vr_store_open(db_path, NULL, &store, &eb) != 0 ||
        vr_token_hash(TOKEN, strlen(TOKEN), hash) != 0 ||
        vr_store_token_add(store, "s", hash, &id, &eb) != 0) {
        fprintf(stderr, "fuzz_ingest: setup: %s\n", eb.msg);
        abort();
    }
    api = vr_api_new(store, vr_metrics_new());
    if (api == NULL)
        abort();
    return api;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vr_api_request req = {0};
    struct vr_api_response resp = {0};
    struct vr_record rec;
    struct vr_jerr eb;
    json_error_t jerr;
    json_t *j;

    req.method = "POST";
    req.path = "/api/v1/records";
    req.authorization = "Bearer " TOKEN;
    req.content_type = "application/x-ndjson";
    req.body = (const char *)data;
    req.body_len = size;
    if (vr_api_handle(api_once(), &req, 1800000000000000000ull, &resp) < 0 && resp.status == 0)
        abort(); /* every request must get an answer */
    /* an authenticated, well-typed upload is answered per line (200), or refused whole only
     * when it has too many lines (400) or is too large (413) */
    if (resp.status != 200 && resp.status != 400 && resp.status != 413)
        abort();
    if (resp.status == 200) { /* the agent's reader takes every reply the collector writes */
        json_t *reply = json_loadb(resp.body, resp.len, 0, NULL);
        struct vr_rec_ack ack;
        struct vr_jerr ae;
        if (reply == NULL || vr_rec_ack_from_json(reply, &ack, &ae) != 0)
            abort();
        vr_rec_ack_free(&ack);
        json_decref(reply);
    }
    free(resp.body);

    j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (j != NULL) {
        (void)vr_record_from_json(j, &rec, &eb);
        json_decref(j);
    }
    return 0;
}
