#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "link.h"

int vr_sock_resolve(const char *host, uint16_t port, bool passive, struct sockaddr_storage *ss,
                    socklen_t *len, struct vr_errbuf *eb)
{
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[8];
    int rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 && !passive && rc == EAI_NONAME) {
        hints.ai_flags = 0; /* AI_ADDRCONFIG hides ::1 when only loopback has IPv6 */
        rc = getaddrinfo(host, portstr, &hints, &res);
    }
    if (rc != 0 || res == NULL)
        return vr_errbuf_set(eb, VR_ENOTFOUND, "cannot resolve host \"%s\": %s", host ? host : "",
                             gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int setopt_int(int fd, int level, int name, int v)
{
    return setsockopt(fd, level, name, &v, sizeof(v)) == 0 ? 0 : -errno;
}

int vr_sock_udp_open(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = 0;

    if (fd < 0)
        return -errno;
    /* kernel RX time: a user-space clock read after wake-up adds scheduler jitter */
    rc |= setopt_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
    if (family == AF_INET6) {
        rc |= setopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        rc |= setopt_int(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
        rc |= setopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    } else {
        rc |= setopt_int(fd, IPPROTO_IP, IP_RECVTOS, 1);
        rc |= setopt_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
    }
    if (rc != 0) {
        int err = -errno;
        close(fd);
        return err != 0 ? err : -EINVAL;
    }
    return fd;
}

int vr_sock_set_buffers(int fd, int bytes)
{
    int got = 0;
    socklen_t len = sizeof(got);

    if (setopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes) != 0)
        (void)setopt_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);
    if (setopt_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, bytes) != 0)
        (void)setopt_int(fd, SOL_SOCKET, SO_SNDBUF, bytes);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0)
        return -errno;
    return got;
}

int vr_sock_set_dscp(int fd, int family, uint8_t dscp)
{
    int tos = (dscp & 0x3f) << 2;
    if (family == AF_INET6)
        return setopt_int(fd, IPPROTO_IPV6, IPV6_TCLASS, tos);
    return setopt_int(fd, IPPROTO_IP, IP_TOS, tos);
}

void vr_sock_rxmeta(struct msghdr *msg, struct vr_rxmeta *m)
{
    m->has_ts = false;
    m->rx_wall_ns = 0;
    m->tos = -1;
    m->ttl = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            m->rx_wall_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
            m->has_ts = true;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS &&
                   c->cmsg_len >= CMSG_LEN(1)) {
            m->tos = *(const uint8_t *)CMSG_DATA(c); /* ip(7): one byte */
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL &&
                   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            m->ttl = v;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
                   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            m->tos = v & 0xff;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
                   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            m->ttl = v;
        }
    }
}

size_t vr_sock_put_tos(void *cbuf, int family, uint8_t tos)
{
    struct cmsghdr *c = cbuf;
    int v = tos;

    memset(cbuf, 0, VR_SOCK_TX_CMSG_LEN);
    c->cmsg_len = CMSG_LEN(sizeof(int));
    if (family == AF_INET6) {
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_TCLASS;
    } else {
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_TOS;
    }
    memcpy(CMSG_DATA(c), &v, sizeof(v));
    return CMSG_SPACE(sizeof(int));
}

void vr_sock_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
    }
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a == NULL || a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
    if (a->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

void vr_sock_egress(int fd, char *ifname, size_t iflen, char *link, size_t linklen)
{
    struct sockaddr_storage local;
    socklen_t len = sizeof(local);
    struct ifaddrs *ifs = NULL;

    char bound[IFNAMSIZ] = "";
    socklen_t blen = sizeof(bound);

    snprintf(ifname, iflen, "%s", "");
    snprintf(link, linklen, "%s", "other");
    /* a socket bound to a device (--interface) leaves through it, whatever its address is: two
     * ports may share one address, or the source may sit on another interface (loopback) */
    if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bound, &blen) == 0 && bound[0] != '\0') {
        bound[sizeof(bound) - 1] = '\0';
    } else {
        if (getsockname(fd, (struct sockaddr *)&local, &len) != 0 || getifaddrs(&ifs) != 0)
            return;
        for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
            if (same_addr(i->ifa_addr, (struct sockaddr *)&local)) {
                snprintf(bound, sizeof(bound), "%s", i->ifa_name);
                break;
            }
        }
        freeifaddrs(ifs);
        if (bound[0] == '\0')
            return;
    }
    snprintf(ifname, iflen, "%s", bound);
    snprintf(link, linklen, "%s",
             vr_link_kind_name(vr_link_classify(VR_LINK_SYSFS_NET, bound, NULL, 0)));
}

uint64_t vr_sock_raise_nofile(uint64_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

int vr_sock_bind_interface(int fd, int family, const char *ifname)
{
    unsigned idx = if_nametoindex(ifname);
    socklen_t len = (socklen_t)strlen(ifname);

    if (idx == 0)
        return -ENODEV;
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, len) == 0)
        return 0;
    if (errno != EPERM)
        return -errno;
    /* IP_UNICAST_IF takes the index in network byte order; IPV6_UNICAST_IF in host order */
    if (family == AF_INET) {
        uint32_t be = htonl(idx);
        if (setsockopt(fd, IPPROTO_IP, IP_UNICAST_IF, &be, sizeof(be)) != 0)
            return -errno;
    } else {
        int v = (int)idx;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_IF, &v, sizeof(v)) != 0)
            return -errno;
    }
    return 0;
}

int vr_sock_bind_port(int fd, int family, uint16_t port)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;

    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons(port);
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        s4->sin_port = htons(port);
        len = sizeof(*s4);
    }
    return bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : -errno;
}
