#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/in6.h>
#include "CSystemShims.h"

#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#define CS_SK_MEMINFO_DROPS 8

int cs_open_raw_receiver(int family, int protocol, int receive_buffer) {
    int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) return -errno;
    int one = 1;
    // A full receive queue loses answers: make it large (what it loses is counted: cs_raw_drops).
    if (receive_buffer > 0) {
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) != 0)
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) goto fail;
    if (family == AF_INET) {
        if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) goto fail;
    } else {
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) != 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one) != 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one) != 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO, &one, sizeof one) != 0) goto fail;
    }
    return fd;
fail:;
    int e = errno;
    close(fd);
    return -e;
}

long cs_receive_raw(int fd, int family, int protocol, uint8_t *buffer, unsigned capacity, struct cs_raw_meta *meta) {
    if (family == AF_INET6 && capacity < 40) return -EINVAL;
    union { char buf[512]; struct cmsghdr align; } control;
    struct sockaddr_in6 from;
    unsigned offset = family == AF_INET6 ? 40 : 0;
    struct iovec iov = { buffer + offset, capacity - offset };
    struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t n = recvmsg(fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) return -errno;
    memset(meta, 0, sizeof *meta);
    struct in6_addr destination = IN6ADDR_ANY_INIT;
    int hop_limit = 0, traffic_class = 0;
    uint32_t flow = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(c), sizeof t);
            meta->seconds = t.tv_sec;
            meta->nanoseconds = (uint32_t)t.tv_nsec;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            meta->interface_index = info.ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            destination = info.ipi6_addr;
            meta->interface_index = (int32_t)info.ipi6_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(&hop_limit, CMSG_DATA(c), sizeof(int));
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(&traffic_class, CMSG_DATA(c), sizeof(int));
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_FLOWINFO && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
            memcpy(&flow, CMSG_DATA(c), sizeof(uint32_t));   // network order, as on the wire
        }
    }
    if (family == AF_INET6) {
        if (from.sin6_family != AF_INET6) return -EPROTO;
        // Version, traffic class and flow label as they came. Extension headers are gone
        // (the kernel consumed them): the rebuilt header names the protocol directly.
        uint32_t first = htonl(0x60000000u | ((uint32_t)(traffic_class & 0xff) << 20)) | (flow & htonl(0x000fffffu));
        memcpy(buffer, &first, 4);
        uint16_t payload = n > 0xffff ? 0xffff : (uint16_t)n;
        buffer[4] = (uint8_t)(payload >> 8);
        buffer[5] = (uint8_t)payload;
        buffer[6] = (uint8_t)protocol;
        buffer[7] = (uint8_t)hop_limit;
        memcpy(buffer + 8, &from.sin6_addr, 16);
        memcpy(buffer + 24, &destination, 16);
    }
    return (long)n + offset;
}

long cs_raw_drops(int fd) {
    // The socket's own drop counter (sk_drops): SO_RXQ_OVFL would report it only on a packet
    // received after the drops, and none may come.
    uint32_t info[16] = {0};
    socklen_t length = sizeof info;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &length) != 0) return -errno;
    if (length < (CS_SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) return -ENOTSUP;
    return (long)info[CS_SK_MEMINFO_DROPS];
}
