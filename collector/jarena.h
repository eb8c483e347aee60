/* jarena: a per-thread bump allocator for jansson while one ingest line is parsed.
 *
 * Parsing an interval record builds ~100 small jansson values and frees them all a few
 * microseconds later; malloc and free of those were a sixth of the collector's ingest time
 * (perf, tests/bench/collector_http.py). Between vr_jarena_begin and vr_jarena_end, jansson's
 * allocations on the calling thread come from that thread's arena and freeing them is a no-op;
 * vr_jarena_end makes the whole arena reusable at once. Outside such a scope, and on other
 * threads, jansson uses malloc and free as usual.
 *
 * Rule for callers: every jansson value created inside the scope must be released (json_decref)
 * before vr_jarena_end, and nothing created inside may be kept. What must outlive the scope (a
 * response body from json_dumps) is made between vr_jarena_pause and vr_jarena_resume, which
 * send allocations back to malloc; freeing an arena value stays a no-op meanwhile.
 * ingest_line in api.c is the only scope.
 *
 * jansson's allocator hooks are process-wide (json_set_alloc_funcs), so vr_jarena_install is
 * called once by main before any thread starts. Builds with AddressSanitizer keep the plain
 * allocator (begin/end do nothing), so ASan still sees every jansson allocation. */
#ifndef VR_JARENA_H
#define VR_JARENA_H

#include <stdbool.h>

void vr_jarena_install(void);
void vr_jarena_begin(void);
void vr_jarena_end(void);
/* Returns whether a scope was active on this thread; resume(that) restores it. */
bool vr_jarena_pause(void);
void vr_jarena_resume(bool was_active);

#endif
