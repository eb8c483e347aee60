#include "rec_verdict.h"

#include <math.h>
#include <string.h>

/* New reference, NULL on allocation failure. */
static json_t *sender_to_json(const struct vr_rec_sender *s)
{
    return json_pack("{s:{s:f,s:f,s:f},s:I,s:I,s:b,s:b}", "deadline_error_us", "mean",
                     s->deadline_error_us_mean, "p99", s->deadline_error_us_p99, "max",
                     s->deadline_error_us_max, "overruns", (json_int_t)s->overruns, "send_errors",
                     (json_int_t)s->send_errors, "realtime", s->realtime, "interrupted",
                     s->interrupted);
}

static int sender_from_json(const json_t *o, struct vr_rec_sender *s, struct vr_jerr *eb)
{
    const json_t *de = json_object_get(o, "deadline_error_us");
    int rc;
    memset(s, 0, sizeof(*s));
    if (!json_is_object(o))
        return vr_jfield_fail(eb, "", "sender", "expected an object");
    if (!json_is_object(de))
        return vr_jfield_fail(eb, "sender.", "deadline_error_us", "expected an object");
    if ((rc = vr_jfield_num(de, "sender.deadline_error_us.", "mean", 0, 1e12, VR_JFIELD_REQUIRED,
                            &s->deadline_error_us_mean, eb)) < 0 ||
        (rc = vr_jfield_num(de, "sender.deadline_error_us.", "p99", 0, 1e12, VR_JFIELD_REQUIRED,
                            &s->deadline_error_us_p99, eb)) < 0 ||
        (rc = vr_jfield_num(de, "sender.deadline_error_us.", "max", 0, 1e12, VR_JFIELD_REQUIRED,
                            &s->deadline_error_us_max, eb)) < 0 ||
        (rc = vr_jfield_u64(o, "sender.", "overruns", INT64_MAX, VR_JFIELD_REQUIRED, &s->overruns,
                            eb)) < 0 ||
        (rc = vr_jfield_u64(o, "sender.", "send_errors", INT64_MAX, VR_JFIELD_REQUIRED,
                            &s->send_errors, eb)) < 0 ||
        (rc = vr_jfield_bool(o, "sender.", "realtime", VR_JFIELD_REQUIRED, &s->realtime, eb)) < 0 ||
        (rc = vr_jfield_bool(o, "sender.", "interrupted", VR_JFIELD_REQUIRED, &s->interrupted,
                             eb)) < 0)
        return rc;
    return 0;
}

json_t *vr_verdict_to_json(const struct vr_verdict *v, const struct vr_rec_sender *sender)
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
    if (sender != NULL && !vr_jfield_put(o, "sender", sender_to_json(sender)))
        goto fail_o;
    return o;
fail:
    json_decref(reasons);
fail_o:
    json_decref(o);
    return NULL;
}

int vr_verdict_from_json(const json_t *j, struct vr_verdict *out, struct vr_rec_sender *sender,
                         bool *has_sender, struct vr_jerr *eb)
{
    struct vr_rec_sender ignored;
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
    const json_t *s = json_object_get(j, "sender");
    if (has_sender != NULL)
        *has_sender = s != NULL;
    if (s != NULL && (rc = sender_from_json(s, sender != NULL ? sender : &ignored, eb)) < 0)
        return rc;
    return 0;
}
