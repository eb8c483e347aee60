/* curlfn: the libcurl functions the uploader uses, loaded with dlopen when an uploader starts.
 *
 * Why not link libcurl: the agent's `test` and `reflect` never upload, yet a linked libcurl maps
 * its whole tree (OpenSSL, GnuTLS, Kerberos, LDAP, SSH, ...) into every agent process at start,
 * about 6 MB of resident library pages: bench-streams measured 11.2 MB peak RSS at 100 streams
 * against the < 10 MB target (DESIGN §7), 5.2 MB without it. Only
 * `run` (uploader.c) loads libcurl now.
 *
 * The library stays loaded until the process exits (RTLD_NODELETE): libcurl's TLS library
 * registers exit handlers, and a second load (SIGHUP reload) then costs nothing.
 * Fill one struct per user; it owns nothing. */
#ifndef VR_CURLFN_H
#define VR_CURLFN_H

#include <curl/curl.h>

#include "err.h"

struct vr_curlfn {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_global_cleanup) *global_cleanup;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_multi_init) *multi_init;
    __typeof__(curl_multi_setopt) *multi_setopt;
    __typeof__(curl_multi_assign) *multi_assign;
    __typeof__(curl_multi_add_handle) *multi_add_handle;
    __typeof__(curl_multi_remove_handle) *multi_remove_handle;
    __typeof__(curl_multi_socket_action) *multi_socket_action;
    __typeof__(curl_multi_info_read) *multi_info_read;
    __typeof__(curl_multi_strerror) *multi_strerror;
    __typeof__(curl_multi_cleanup) *multi_cleanup;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
};

/* Loads libcurl (libcurl.so.4, else its GnuTLS or NSS builds) and fills fn. 0, or VR_ENOTFOUND
 * with eb naming what is missing and the Debian package that provides it. */
int vr_curlfn_load(struct vr_curlfn *fn, struct vr_errbuf *eb);

#endif
