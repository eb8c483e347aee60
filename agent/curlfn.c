#include "curlfn.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

int vr_curlfn_load(struct vr_curlfn *fn, struct vr_errbuf *eb)
{
    static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4"};
    void *h = NULL;
    char first[200] = ""; /* why libcurl.so.4 itself did not load: the one to report */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && h == NULL; i++) {
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        const char *why = h == NULL ? dlerror() : NULL;
        if (i == 0 && why != NULL)
            snprintf(first, sizeof(first), "%s", why);
    }
    if (h == NULL)
        return vr_errbuf_set(eb, VR_ENOTFOUND,
                             "cannot load libcurl (libcurl.so.4) to upload: %s; install it with "
                             "`apt-get install libcurl4`",
                             first);
    struct {
        void **slot;
        const char *name;
    } sym[] = {
#define SYM(f) {(void **)&fn->f, "curl_" #f}
        SYM(global_init),         SYM(global_cleanup),   SYM(easy_init),
        SYM(easy_setopt),         SYM(easy_getinfo),     SYM(easy_strerror),
        SYM(easy_cleanup),        SYM(multi_init),       SYM(multi_setopt),
        SYM(multi_assign),        SYM(multi_add_handle), SYM(multi_remove_handle),
        SYM(multi_socket_action), SYM(multi_info_read),  SYM(multi_strerror),
        SYM(multi_cleanup),       SYM(slist_append),     SYM(slist_free_all),
#undef SYM
    };
    for (size_t i = 0; i < sizeof(sym) / sizeof(sym[0]); i++) {
        /* POSIX: a data pointer from dlsym converts to a function pointer */
        *sym[i].slot = dlsym(h, sym[i].name);
        if (*sym[i].slot == NULL)
            return vr_errbuf_set(eb, VR_ENOTFOUND, "libcurl has no %s: is it older than 7.73?",
                                 sym[i].name);
    }
    return 0;
}
