#ifndef CENSORSCOPE_SYSTEM_SHIMS_H
#define CENSORSCOPE_SYSTEM_SHIMS_H
// Linux calls that glibc declares only under _GNU_SOURCE, which Swift does not define.
int cs_enter_network_namespace(int fd);
// Drops every capability of the calling thread only (capset(2) is per-thread on Linux).
// Used to check what a command says when run without privileges.
int cs_drop_thread_capabilities(void);
// Names the calling thread (ps -L, top -H); the kernel keeps at most 15 bytes.
int cs_name_current_thread(const char *name);
// Returns freed heap memory to the kernel (malloc.h is not in the Glibc module).
int cs_malloc_trim(void);
#include <spawn.h>
// Closes every descriptor from `fd` up in the spawned child (posix_spawn_file_actions_addclosefrom_np).
int cs_spawn_close_from(posix_spawn_file_actions_t *actions, int fd);
#include <stdint.h>
#include <sys/socket.h>
// Sends `count` (at most 1024) packets with sendmmsg(2): packet i is `lengths[i]` bytes at
// `buffer + i * stride`, addressed to `addresses + i * address_length` (NULL: the socket's
// bound address). Returns how many left (a short count: errno says why), or -1.
int cs_send_batch(int fd, const uint8_t *buffer, unsigned stride, const uint16_t *lengths,
                  const void *addresses, socklen_t address_length, unsigned count);
// Binds an AF_PACKET socket to one interface (sockaddr_ll is not in the Glibc module).
int cs_bind_packet_socket(int fd, int interface_index);
// Atomic 32-bit store/load (release/acquire) shared by a sender and a receiver thread.
static inline void cs_store_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint32_t cs_load_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void cs_store_flag(int32_t *p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline int32_t cs_load_flag(const int32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
// A raw socket that receives (never sends) every packet of `protocol` for this host, of
// `family` (AF_INET or AF_INET6): non-blocking, kernel receive timestamps, and for IPv6 what
// rebuilding the IP header needs. Returns the descriptor, or -errno.
int cs_open_raw_receiver(int family, int protocol, int receive_buffer);
// What one received packet came with.
struct cs_raw_meta {
    int64_t seconds;
    uint32_t nanoseconds;
    // The interface it came in on (IP_PKTINFO, IPV6_PKTINFO).
    int32_t interface_index;
};
// Reads one packet into `buffer` as a whole IP packet: IPv4 raw sockets deliver the header,
// for IPv6 it is rebuilt (addresses, hop limit, traffic class, flow label, payload length).
// Returns the packet's full length (more than `capacity` when cut), -EAGAIN when there is
// none, or another -errno.
long cs_receive_raw(int fd, int family, int protocol, uint8_t *buffer, unsigned capacity, struct cs_raw_meta *meta);
// Packets the socket dropped since it opened (its receive queue was full), or -errno.
long cs_raw_drops(int fd);
#endif
