#include "rec_head.h"

#include <string.h>

#define MAX_DUR_S VR_REC_MAX_DUR_S

#define REQ VR_JFIELD_REQUIRED
#define OPT VR_JFIELD_OPTIONAL

const char *const vr_rec_level_names[] = {"pass", "warn", "fail", NULL};
const char *const vr_rec_link_names[] = {"wired", "wifi", "other", NULL};

int vr_rec_head_read(const json_t *j, const char *type, char *id, char *agent, char *site,
                     int *link, uint64_t *start, double *duration_s, enum vr_level *verdict,
                     size_t *n_reasons, char *reasons, struct vr_jerr *eb)
{
    static const char *const types[] = {"capacity", "capture", NULL};
    int t, lvl, rc;
    if (!json_is_object(j))
        return vr_jerr_set(eb, VR_EINVAL, "expected one JSON object per line");
    if ((rc = vr_jfield_enum(j, "", "type", types, REQ, &t, eb)) < 0)
        return rc;
    if (strcmp(types[t], type) != 0)
        return vr_jfield_fail(eb, "", "type", "\"%s\" is not \"%s\"", types[t], type);
    const json_t *schema = json_object_get(j, "schema");
    if (!json_is_integer(schema) || json_integer_value(schema) != 1)
        return vr_jfield_fail(eb, "", "schema", "only schema 1 is known");
    if ((rc = vr_jfield_str(j, "", "id", id, 64, REQ, NULL, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "agent", agent, 64, REQ, NULL, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "site", site, 64, REQ, NULL, eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "link", vr_rec_link_names, OPT, link, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "start", NULL, 48, REQ, NULL, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "duration_s", 0, MAX_DUR_S, REQ, duration_s, eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "verdict", vr_rec_level_names, REQ, &lvl, eb)) < 0 ||
        (rc = vr_jfield_strings(j, "", "reasons", VR_REC_MAX_REASONS, VR_REC_REASON_LEN, reasons,
                                n_reasons, eb)) < 0)
        return rc;
    if (id[0] == '\0')
        return vr_jfield_fail(eb, "", "id", "must not be empty");
    if (*link < 0)
        *link = 2; /* other */
    if ((rc = vr_jfield_time(j, "", "start", start, eb)) < 0)
        return rc;
    *verdict = (enum vr_level)lvl;
    return 0;
}
