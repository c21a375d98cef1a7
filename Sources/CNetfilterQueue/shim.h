#ifndef CENSORSCOPE_CNETFILTERQUEUE_H
#define CENSORSCOPE_CNETFILTERQUEUE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

// The packet header struct is packed; read its id here rather than through Swift's import.
static inline uint32_t cnfq_packet_id(struct nfq_data *data) {
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(data);
    return ph ? ntohl(ph->packet_id) : 0;
}

enum { CNFQ_ACCEPT = NF_ACCEPT, CNFQ_DROP = NF_DROP };

#endif
