#ifndef CENSORSCOPE_LAB_NET_H
#define CENSORSCOPE_LAB_NET_H
// UDP with packet info: a server bound to a wildcard address must answer from the address
// the datagram was sent to, or STUN/DNS clients drop the reply. glibc declares in6_pktinfo
// only under _GNU_SOURCE, which Swift does not define, hence C.
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>

// Asks the kernel for the destination address of each datagram (IP_PKTINFO / IPV6_RECVPKTINFO).
int cs_udp_enable_pktinfo(int fd, int family);

// Receives one datagram into buf. Fills the peer address, the local address it was sent to
// (family AF_UNSPEC when unknown) and the interface index. Returns the length or -1 (errno).
// A datagram longer than len is cut to len and *truncated set to 1.
ssize_t cs_udp_recv(int fd, void *buf, size_t len, struct sockaddr_storage *peer,
                    struct sockaddr_storage *local, int *ifindex, int *truncated);

// Sends one datagram to peer, from `local` when its family is not AF_UNSPEC.
ssize_t cs_udp_send(int fd, const void *buf, size_t len, const struct sockaddr_storage *peer,
                    const struct sockaddr_storage *local, int ifindex);

// accept4(2) with SOCK_CLOEXEC (accept4 is _GNU_SOURCE too).
int cs_accept(int fd);
#endif
