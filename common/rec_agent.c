#include "rec_agent.h"

#include <string.h>

#include "rec_head.h"
#include "timefmt.h"

const char *const vr_clock_sync_names[] = {"unknown", "synced", "unsynced", NULL};

json_t *vr_agent_status_to_json(const struct vr_agent_status *s)
{
    char t[40];
    vr_format_rfc3339(s->time_wall_ns, t, sizeof(t));
    json_t *links = json_array();
    bool ok = links != NULL;
    for (size_t i = 0; ok && i < s->n_links && i < VR_REC_AGENT_MAX_LINKS; i++)
        ok = s->links[i] >= 0 && s->links[i] < VR_REC_AGENT_MAX_LINKS &&
             json_array_append_new(links, json_string(vr_rec_link_names[s->links[i]])) == 0;
    int cs = s->clock_sync >= VR_CLOCK_UNKNOWN && s->clock_sync <= VR_CLOCK_UNSYNCED
                 ? (int)s->clock_sync
                 : VR_CLOCK_UNKNOWN;
    json_t *o =
        ok ? json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:o}", "type", VR_REC_AGENT_TYPE,
                       "schema", 1, "agent", s->agent, "site", s->site, "version", s->version,
                       "time", t, "spool_records", (json_int_t)(s->spool_records & INT64_MAX),
                       "quarantined", (json_int_t)(s->quarantined & INT64_MAX), "clock_sync",
                       vr_clock_sync_names[cs], "links", links)
           : NULL;
    if (o == NULL && ok)
        return NULL; /* json_pack released links */
    if (!ok)
        json_decref(links);
    return o;
}

int vr_agent_status_from_json(const json_t *j, struct vr_agent_status *out, struct vr_jerr *eb)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return vr_jerr_set(eb, VR_EINVAL, "agent status: expected a JSON object");
    const char *type = json_string_value(json_object_get(j, "type"));
    if (type == NULL || strcmp(type, VR_REC_AGENT_TYPE) != 0)
        return vr_jfield_fail(eb, "", "type", "expected \"%s\"", VR_REC_AGENT_TYPE);
    int64_t schema = 0;
    int cs = -1, rc;
    char links[VR_REC_AGENT_MAX_LINKS][8];
    if ((rc = vr_jfield_int(j, "", "schema", 1, 1, VR_JFIELD_REQUIRED, 0, &schema, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "agent", out->agent, sizeof(out->agent), VR_JFIELD_REQUIRED,
                            NULL, eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "site", out->site, sizeof(out->site), VR_JFIELD_REQUIRED, NULL,
                            eb)) < 0 ||
        (rc = vr_jfield_str(j, "", "version", out->version, sizeof(out->version),
                            VR_JFIELD_OPTIONAL, NULL, eb)) < 0 ||
        (rc = vr_jfield_time(j, "", "time", &out->time_wall_ns, eb)) < 0 ||
        (rc = vr_jfield_u64(j, "", "spool_records", INT64_MAX, VR_JFIELD_OPTIONAL,
                            &out->spool_records, eb)) < 0 ||
        (rc = vr_jfield_u64(j, "", "quarantined", INT64_MAX, VR_JFIELD_OPTIONAL, &out->quarantined,
                            eb)) < 0 ||
        (rc = vr_jfield_enum(j, "", "clock_sync", vr_clock_sync_names, VR_JFIELD_OPTIONAL, &cs,
                             eb)) < 0 ||
        (rc = vr_jfield_strings(j, "", "links", VR_REC_AGENT_MAX_LINKS, sizeof(links[0]),
                                &links[0][0], &out->n_links, eb)) < 0)
        return rc;
    if (out->agent[0] == '\0')
        return vr_jfield_fail(eb, "", "agent", "must not be empty");
    if (out->site[0] == '\0')
        return vr_jfield_fail(eb, "", "site", "must not be empty");
    out->clock_sync = cs < 0 ? VR_CLOCK_UNKNOWN : (enum vr_clock_sync)cs;
    for (size_t i = 0; i < out->n_links; i++) {
        int k = vr_jfield_name_index(vr_rec_link_names, links[i]);
        if (k < 0)
            return vr_jfield_fail(eb, "", "links", "item %zu: expected wired, wifi or other", i);
        for (size_t m = 0; m < i; m++)
            if (out->links[m] == k)
                return vr_jfield_fail(eb, "", "links", "item %zu: \"%s\" twice", i, links[i]);
        out->links[i] = k;
    }
    return 0;
}
