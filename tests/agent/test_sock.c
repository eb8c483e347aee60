/* sock.h on loopback only (127.0.0.1 and ::1): the sockets report the TOS / traffic class, TTL /
 * hop limit and kernel receive time of what they get; DSCP marking per socket and per packet
 * arrives as sent; resolution and address formatting. The IPv6 cases are skipped when ::1 is not
 * usable. System headers come before cmocka.h: with UNIT_TESTING cmocka redefines malloc. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "sock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define NS_PER_S UINT64_C(1000000000)

/* A receiver bound to loopback and a sender, both from vr_sock_udp_open(). */
struct pair {
    int family;
    int rx, tx;
    struct sockaddr_storage rx_addr;
    socklen_t rx_len;
};

static bool have_v6_loopback(void)
{
    struct sockaddr_in6 a;
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    bool ok;

    if (fd < 0)
        return false;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void skip_without_family(int family)
{
    if (family == AF_INET6 && !have_v6_loopback())
        skip();
}

static void open_pair(struct pair *p, int family)
{
    const char *lo = family == AF_INET6 ? "::1" : "127.0.0.1";
    struct vr_errbuf eb = {""};

    memset(p, 0, sizeof(*p));
    p->family = family;
    p->rx = vr_sock_udp_open(family);
    assert_true(p->rx >= 0);
    p->tx = vr_sock_udp_open(family);
    assert_true(p->tx >= 0);
    if (vr_sock_resolve(lo, 0, true, &p->rx_addr, &p->rx_len, &eb) != 0)
        fail_msg("resolve %s: %s", lo, eb.msg);
    assert_int_equal(p->rx_addr.ss_family, family);
    assert_int_equal(bind(p->rx, (struct sockaddr *)&p->rx_addr, p->rx_len), 0);
    p->rx_len = sizeof(p->rx_addr);
    assert_int_equal(getsockname(p->rx, (struct sockaddr *)&p->rx_addr, &p->rx_len), 0);
}

static void close_pair(struct pair *p)
{
    close(p->rx);
    close(p->tx);
}

/* Pins the sender's TTL / hop limit so a host with another default does not fail the test. */
static void set_ttl(const struct pair *p, int ttl)
{
    if (p->family == AF_INET6)
        assert_int_equal(setsockopt(p->tx, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)), 0);
    else
        assert_int_equal(setsockopt(p->tx, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
}

/* Sends one datagram to the receiver, with cmsg control data when ctl_len > 0. */
static void send_one(const struct pair *p, const char *payload, void *ctl, size_t ctl_len)
{
    struct iovec iov = {.iov_base = (void *)(uintptr_t)payload, .iov_len = strlen(payload)};
    struct msghdr msg;

    memset(&msg, 0, sizeof(msg));
    msg.msg_name = (void *)(uintptr_t)&p->rx_addr;
    msg.msg_namelen = p->rx_len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl_len > 0 ? ctl : NULL;
    msg.msg_controllen = ctl_len;
    if (sendmsg(p->tx, &msg, 0) != (ssize_t)strlen(payload))
        fail_msg("sendmsg: %s", strerror(errno));
}

/* Receives one datagram (waiting up to 2 s: the socket is non-blocking) and its metadata. */
static void recv_one(const struct pair *p, const char *want_payload, struct vr_rxmeta *m)
{
    union {
        char buf[VR_SOCK_RX_CMSG_LEN];
        struct cmsghdr align;
    } ctl;
    char data[256];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
    struct pollfd pfd = {.fd = p->rx, .events = POLLIN};
    struct msghdr msg;
    ssize_t n;

    assert_int_equal(poll(&pfd, 1, 2000), 1);
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof(ctl.buf);
    n = recvmsg(p->rx, &msg, 0);
    if (n < 0)
        fail_msg("recvmsg: %s", strerror(errno));
    assert_int_equal((size_t)n, strlen(want_payload));
    assert_memory_equal(data, want_payload, (size_t)n);
    /* VR_SOCK_RX_CMSG_LEN is promised to be room enough */
    assert_int_equal(msg.msg_flags & MSG_CTRUNC, 0);
    memset(m, 0x5a, sizeof(*m));
    vr_sock_rxmeta(&msg, m);
}

static uint64_t wall_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void assert_recent(uint64_t rx_wall_ns)
{
    uint64_t now = wall_now_ns();
    uint64_t d = now > rx_wall_ns ? now - rx_wall_ns : rx_wall_ns - now;
    if (d > NS_PER_S)
        fail_msg("rx_wall_ns %llu is %llu ns from CLOCK_REALTIME", (unsigned long long)rx_wall_ns,
                 (unsigned long long)d);
}

static void check_udp_open(int family)
{
    int fd, v = 0;
    socklen_t len = sizeof(v);

    skip_without_family(family);
    fd = vr_sock_udp_open(family);
    assert_true(fd >= 0);
    assert_true((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &v, &len), 0);
    assert_int_equal(v, 1);
    if (family == AF_INET6) {
        len = sizeof(v);
        assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
        assert_int_equal(v, 1);
    }
    close(fd);
}

static void test_sock_udp_open_v4(void **state)
{
    (void)state;
    check_udp_open(AF_INET);
}

static void test_sock_udp_open_v6(void **state)
{
    (void)state;
    check_udp_open(AF_INET6);
}

static void test_sock_udp_open_rejects_bad_family(void **state)
{
    (void)state;
    assert_true(vr_sock_udp_open(-1) < 0);
}

static void test_sock_set_dscp_sets_tos_byte(void **state)
{
    int fd = vr_sock_udp_open(AF_INET), v = 0;
    socklen_t len = sizeof(v);
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(vr_sock_set_dscp(fd, AF_INET, 46), 0);
    assert_int_equal(getsockopt(fd, IPPROTO_IP, IP_TOS, &v, &len), 0);
    assert_int_equal(v, 0xb8); /* DSCP in the top six bits, ECN 0 */
    assert_int_equal(vr_sock_set_dscp(fd, AF_INET, 0), 0);
    len = sizeof(v);
    assert_int_equal(getsockopt(fd, IPPROTO_IP, IP_TOS, &v, &len), 0);
    assert_int_equal(v, 0);
    close(fd);
}

/* DSCP 46 on the socket arrives as TOS 0xb8 with the TTL it was sent with and a kernel time. */
static void check_rxmeta(int family)
{
    struct pair p;
    struct vr_rxmeta m;

    skip_without_family(family);
    open_pair(&p, family);
    assert_int_equal(vr_sock_set_dscp(p.tx, family, 46), 0);
    set_ttl(&p, 64);
    send_one(&p, "probe-ef", NULL, 0);
    recv_one(&p, "probe-ef", &m);
    assert_int_equal(m.tos, 0xb8);
    assert_int_equal(m.ttl, 64);
    assert_true(m.has_ts);
    assert_recent(m.rx_wall_ns);

    /* another value, so a constant 64 would not pass */
    set_ttl(&p, 7);
    assert_int_equal(vr_sock_set_dscp(p.tx, family, 34), 0);
    send_one(&p, "probe-af41", NULL, 0);
    recv_one(&p, "probe-af41", &m);
    assert_int_equal(m.tos, 34 << 2);
    assert_int_equal(m.ttl, 7);
    assert_true(m.has_ts);
    close_pair(&p);
}

static void test_sock_rxmeta_v4(void **state)
{
    (void)state;
    check_rxmeta(AF_INET);
}

static void test_sock_rxmeta_v6(void **state)
{
    (void)state;
    check_rxmeta(AF_INET6);
}

static void test_sock_rxmeta_without_control_data(void **state)
{
    struct msghdr msg;
    struct vr_rxmeta m;
    (void)state;

    memset(&msg, 0, sizeof(msg));
    memset(&m, 0x5a, sizeof(m));
    vr_sock_rxmeta(&msg, &m);
    assert_false(m.has_ts);
    assert_int_equal(m.rx_wall_ns, 0);
    assert_int_equal(m.tos, -1);
    assert_int_equal(m.ttl, -1);
}

/* A per-packet TOS overrides the socket's mark for that datagram only. */
static void check_put_tos(int family)
{
    union {
        char buf[VR_SOCK_TX_CMSG_LEN];
        struct cmsghdr align;
    } ctl;
    struct pair p;
    struct vr_rxmeta m;
    size_t len;

    skip_without_family(family);
    open_pair(&p, family);
    assert_int_equal(vr_sock_set_dscp(p.tx, family, 46), 0);
    len = vr_sock_put_tos(ctl.buf, family, 0x88);
    assert_true(len > 0 && len <= VR_SOCK_TX_CMSG_LEN);
    send_one(&p, "af41", ctl.buf, len);
    recv_one(&p, "af41", &m);
    assert_int_equal(m.tos, 0x88);

    send_one(&p, "ef", NULL, 0);
    recv_one(&p, "ef", &m);
    assert_int_equal(m.tos, 0xb8);
    close_pair(&p);
}

static void test_sock_put_tos_v4(void **state)
{
    (void)state;
    check_put_tos(AF_INET);
}

static void test_sock_put_tos_v6(void **state)
{
    (void)state;
    check_put_tos(AF_INET6);
}

static void test_sock_resolve_numeric_v4(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    struct vr_errbuf eb = {""};
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)&ss;
    (void)state;

    memset(&ss, 0, sizeof(ss));
    assert_int_equal(vr_sock_resolve("127.0.0.1", 5004, false, &ss, &len, &eb), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    assert_int_equal(ntohs(s4->sin_port), 5004);
    assert_int_equal(ntohl(s4->sin_addr.s_addr), INADDR_LOOPBACK);
}

static void test_sock_resolve_numeric_v6(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    struct vr_errbuf eb = {""};
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)&ss;
    (void)state;

    memset(&ss, 0, sizeof(ss));
    if (vr_sock_resolve("::1", 443, false, &ss, &len, &eb) != 0)
        fail_msg("::1: %s", eb.msg);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    assert_int_equal(ntohs(s6->sin6_port), 443);
    assert_memory_equal(&s6->sin6_addr, &in6addr_loopback, sizeof(struct in6_addr));
}

static void test_sock_resolve_passive_any(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    struct vr_errbuf eb = {""};
    (void)state;

    memset(&ss, 0x5a, sizeof(ss));
    assert_int_equal(vr_sock_resolve(NULL, 5004, true, &ss, &len, &eb), 0);
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)&ss;
        assert_int_equal(s4->sin_addr.s_addr, htonl(INADDR_ANY));
        assert_int_equal(ntohs(s4->sin_port), 5004);
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)&ss;
        assert_int_equal(ss.ss_family, AF_INET6);
        assert_memory_equal(&s6->sin6_addr, &in6addr_any, sizeof(struct in6_addr));
        assert_int_equal(ntohs(s6->sin6_port), 5004);
    }
}

/* RFC 6761: .invalid never resolves. */
static void test_sock_resolve_unknown_host(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    struct vr_errbuf eb = {""};
    (void)state;

    assert_int_equal(vr_sock_resolve("no-such-host.invalid", 5004, false, &ss, &len, &eb),
                     VR_ENOTFOUND);
    if (strstr(eb.msg, "no-such-host.invalid") == NULL)
        fail_msg("message \"%s\" does not name the host", eb.msg);
}

static void test_sock_format_addr_v4(void **state)
{
    struct sockaddr_in s4;
    char buf[64];
    (void)state;

    memset(&s4, 0, sizeof(s4));
    s4.sin_family = AF_INET;
    s4.sin_port = htons(5004);
    assert_int_equal(inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr), 1);
    vr_sock_format_addr((const struct sockaddr *)&s4, buf, sizeof(buf));
    assert_string_equal(buf, "192.0.2.1:5004");

    s4.sin_port = htons(65535);
    assert_int_equal(inet_pton(AF_INET, "255.255.255.255", &s4.sin_addr), 1);
    vr_sock_format_addr((const struct sockaddr *)&s4, buf, sizeof(buf));
    assert_string_equal(buf, "255.255.255.255:65535");
}

static void test_sock_format_addr_v6(void **state)
{
    struct sockaddr_in6 s6;
    char buf[64];
    (void)state;

    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(5004);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr), 1);
    vr_sock_format_addr((const struct sockaddr *)&s6, buf, sizeof(buf));
    assert_string_equal(buf, "[2001:db8::1]:5004");

    s6.sin6_addr = in6addr_loopback;
    s6.sin6_port = htons(1);
    vr_sock_format_addr((const struct sockaddr *)&s6, buf, sizeof(buf));
    assert_string_equal(buf, "[::1]:1");

    /* the longest form still fits the documented 64 bytes */
    assert_int_equal(
        inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &s6.sin6_addr), 1);
    s6.sin6_port = htons(65535);
    vr_sock_format_addr((const struct sockaddr *)&s6, buf, sizeof(buf));
    assert_string_equal(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sock_udp_open_v4),
        cmocka_unit_test(test_sock_udp_open_v6),
        cmocka_unit_test(test_sock_udp_open_rejects_bad_family),
        cmocka_unit_test(test_sock_set_dscp_sets_tos_byte),
        cmocka_unit_test(test_sock_rxmeta_v4),
        cmocka_unit_test(test_sock_rxmeta_v6),
        cmocka_unit_test(test_sock_rxmeta_without_control_data),
        cmocka_unit_test(test_sock_put_tos_v4),
        cmocka_unit_test(test_sock_put_tos_v6),
        cmocka_unit_test(test_sock_resolve_numeric_v4),
        cmocka_unit_test(test_sock_resolve_numeric_v6),
        cmocka_unit_test(test_sock_resolve_passive_any),
        cmocka_unit_test(test_sock_resolve_unknown_host),
        cmocka_unit_test(test_sock_format_addr_v4),
        cmocka_unit_test(test_sock_format_addr_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
