/* plancmd: the output of `voiceready-collector plan`: the planning arithmetic of common/plan.h
 * written out step by step (text) or as one JSON object, for an engineer sizing a site's link
 * before any agent is deployed. Option parsing stays in main.c. Single-threaded. */
#ifndef VR_PLANCMD_H
#define VR_PLANCMD_H

#include <stdbool.h>
#include <stdio.h>

#include "plan.h"

/* Writes the plan of in (already computed into p) to out. 0, or VR_EINVAL when out fails. */
int vr_plancmd_write(const struct vr_plan_input *in, const struct vr_plan *p, bool json, FILE *out);

#endif
