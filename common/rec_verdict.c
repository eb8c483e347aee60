#include "rec_verdict.h"

#include <math.h>
#include <string.h>

json_t *vr_verdict_to_json(const struct vr_verdict *v)
{
    json_t *o = json_object();
    json_t *reasons = json_array();
    if (o == NULL || reasons == NULL)
        goto fail;
    for (size_t i = 0; i < v->n_reasons && i < VR_VERDICT_MAX_REASONS; i++) {
        if (json_array_append_new(
                reasons,
                json_stringn(v->reasons[i], strnlen(v->reasons[i], sizeof(v->reasons[i])))) != 0)
            goto fail;
    }
    double score = isfinite(v->score_pct) ? round(v->score_pct * 1000.0) / 1000.0 : 0.0;
    if (json_object_set_new(o, "type", json_string("verdict")) != 0 ||
        json_object_set_new(o, "verdict", json_string(vr_site_verdict_name(v->verdict))) != 0 ||
        json_object_set_new(o, "score_pct", json_real(score)) != 0 ||
        json_object_set_new(o, "intervals", json_integer((json_int_t)v->intervals)) != 0 ||
        json_object_set_new(o, "passed", json_integer((json_int_t)v->passed)) != 0)
        goto fail;
    if (json_object_set_new(o, "reasons", reasons) != 0) {
        reasons = NULL; /* stolen even on failure */
        goto fail;
    }
    return o;
fail:
    json_decref(reasons);
    json_decref(o);
    return NULL;
}

int vr_verdict_from_json(const json_t *j, struct vr_verdict *out, struct vr_jerr *eb)
{
    static const char *const types[] = {"verdict", NULL};
    static const char *const verdicts[] = {"ready", "at_risk", "not_ready", NULL};
    int t, v, rc;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return vr_jerr_set(eb, VR_EINVAL, "record: expected a JSON object");
    if ((rc = vr_jfield_enum(j, "", "type", types, VR_JFIELD_REQUIRED, &t, eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "verdict", verdicts, VR_JFIELD_REQUIRED, &v, eb)) < 0 ||
        (rc = vr_jfield_num(j, "", "score_pct", 0, 100, VR_JFIELD_REQUIRED, &out->score_pct, eb)) <
            0 ||
        (rc = vr_jfield_u64(j, "", "intervals", INT64_MAX, VR_JFIELD_REQUIRED, &out->intervals,
                            eb)) < 0 ||
        (rc = vr_jfield_u64(j, "", "passed", INT64_MAX, VR_JFIELD_REQUIRED, &out->passed, eb)) <
            0 ||
        (rc = vr_jfield_strings(j, "", "reasons", VR_VERDICT_MAX_REASONS, sizeof(out->reasons[0]),
                                out->reasons[0], &out->n_reasons, eb)) < 0)
        return rc;
    out->verdict = (enum vr_site_verdict)v;
    return 0;
}
