#include "recref.h"

json_t *vr_rec_ref_to_json(const struct vr_rec_ref *r)
{
    switch (r->kind) {
    case VR_REC_KIND_RECORD:
        return vr_record_to_json(r->record);
    case VR_REC_KIND_CAPACITY:
        return vr_rec_capacity_to_json(r->capacity);
    case VR_REC_KIND_CAPTURE:
        return vr_rec_capture_to_json(r->capture);
    }
    return NULL;
}

const char *vr_rec_ref_id(const struct vr_rec_ref *r)
{
    switch (r->kind) {
    case VR_REC_KIND_RECORD:
        return r->record->id;
    case VR_REC_KIND_CAPACITY:
        return r->capacity->id;
    case VR_REC_KIND_CAPTURE:
        return r->capture->id;
    }
    return "?";
}
