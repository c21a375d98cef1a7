#define _GNU_SOURCE
#include "CLabNet.h"
#include <netinet/in.h>
#include <string.h>
#include <errno.h>

int cs_udp_enable_pktinfo(int fd, int family) {
    int on = 1;
    if (family == AF_INET6) return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
}

ssize_t cs_udp_recv(int fd, void *buf, size_t len, struct sockaddr_storage *peer,
                    struct sockaddr_storage *local, int *ifindex, int *truncated) {
    union { char raw[256]; struct cmsghdr align; } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    memset(peer, 0, sizeof *peer);
    memset(local, 0, sizeof *local);
    *ifindex = 0;
    *truncated = 0;
    msg.msg_name = peer;
    msg.msg_namelen = sizeof *peer;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.raw;
    msg.msg_controllen = sizeof control.raw;
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 0) return n;
    if (msg.msg_flags & MSG_TRUNC) *truncated = 1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            struct sockaddr_in *sin = (struct sockaddr_in *)local;
            sin->sin_family = AF_INET;
            sin->sin_addr = info.ipi_addr;
            *ifindex = info.ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)local;
            sin6->sin6_family = AF_INET6;
            sin6->sin6_addr = info.ipi6_addr;
            *ifindex = (int)info.ipi6_ifindex;
        }
    }
    return n;
}

ssize_t cs_udp_send(int fd, const void *buf, size_t len, const struct sockaddr_storage *peer,
                    const struct sockaddr_storage *local, int ifindex) {
    union { char raw[256]; struct cmsghdr align; } control;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    memset(&control, 0, sizeof control);
    msg.msg_name = (void *)peer;
    msg.msg_namelen = peer->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (local->ss_family == AF_INET && peer->ss_family == AF_INET) {
        struct in_pktinfo info;
        memset(&info, 0, sizeof info);
        info.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
        msg.msg_control = control.raw;
        msg.msg_controllen = CMSG_SPACE(sizeof info);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        memcpy(CMSG_DATA(c), &info, sizeof info);
    } else if (local->ss_family == AF_INET6 && peer->ss_family == AF_INET6) {
        struct in6_pktinfo info;
        memset(&info, 0, sizeof info);
        info.ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr;
        info.ipi6_ifindex = (unsigned)ifindex;   // needed for link-local sources
        msg.msg_control = control.raw;
        msg.msg_controllen = CMSG_SPACE(sizeof info);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        memcpy(CMSG_DATA(c), &info, sizeof info);
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

int cs_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}
