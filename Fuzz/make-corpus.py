#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (Fuzz/Corpus/<harness>/) from files in the repository
and a few hand-made messages. Run from the repository root; the output is committed, so a
fuzz run starts from valid inputs of every format and not from nothing."""
import glob, os, re, struct, hashlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Fuzz", "Corpus")
LIMIT = 16384


def put(harness, data, limit=LIMIT):
    data = bytes(data)[:limit]
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def files(pattern):
    return sorted(glob.glob(os.path.join(ROOT, pattern)))


def pcapng_blocks(data):
    """(link type, packet bytes) of the enhanced packet blocks of a pcapng file."""
    pos, links, out = 0, [], []
    while pos + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, pos)
        if blen < 12 or pos + blen > len(data):
            break
        if btype == 1:
            links.append(struct.unpack_from("<H", data, pos + 8)[0])
        elif btype == 6:
            iface, _, _, caplen = struct.unpack_from("<IIII", data, pos + 8)
            out.append((links[iface] if iface < len(links) else 1, data[pos + 28:pos + 28 + caplen]))
        pos += blen
    return out


def pcap_packets(data):
    if len(data) < 24:
        return []
    link = struct.unpack_from("<I", data, 20)[0]
    pos, out = 24, []
    while pos + 16 <= len(data):
        incl = struct.unpack_from("<I", data, pos + 8)[0]
        out.append((link, data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return out


def ip_of(link, frame):
    if link == 1 and len(frame) > 14:          # Ethernet
        return frame[14:]
    if link == 113 and len(frame) > 16:        # Linux cooked
        return frame[16:]
    if link == 276 and len(frame) > 20:        # Linux cooked v2
        return frame[20:]
    if link in (101, 228, 229, 12, 14):        # raw IP
        return frame
    return None


# Index of the link type in Parsers.frames' table: ethernet, raw, null, loop, sll, sll2, ipv4, ipv6.
FRAME_INDEX = {1: 0, 101: 1, 12: 1, 14: 1, 0: 2, 108: 3, 113: 4, 276: 5, 228: 6, 229: 7}

captures = []
for path in files("Tests/MeasurementTests/Fixtures/*.pcapng"):
    data = open(path, "rb").read()
    captures.append(pcapng_blocks(data))
    put("capture-file", data, limit=1 << 16)
for path in files("../shared/centrace-sample/*.pcap")[:4]:
    data = open(path, "rb").read()
    captures.append(pcap_packets(data))
    put("capture-file", data, limit=1 << 16)
    put("sweep-import", data, limit=1 << 16)
for packets in captures:
    seen = 0
    for link, frame in packets:
        ip = ip_of(link, frame)
        if ip is None or seen >= 12:
            continue
        seen += 1
        put("packets", ip)
        if link in FRAME_INDEX:
            put("frames", bytes([FRAME_INDEX[link]]) + frame)
            put("sweep-answer", bytes([FRAME_INDEX[link]]) + frame)

for path in files("Tests/RecordsTests/Fixtures/*.json") + files("Tests/ReportsTests/Fixtures/*.json"):
    data = open(path, "rb").read()
    if len(data) <= LIMIT:
        put("json", data)
    base = os.path.basename(path)
    if base.startswith(("investigate", "analyze")) or "Reports" in path:
        put("investigations", data, limit=1 << 16)
    if base.startswith(("trace", "reverse")):
        put("agent-response", data, limit=1 << 16)
put("investigations", open(files("Tests/RecordsTests/Fixtures/campaign-report.jsonl")[0], "rb").read(), limit=1 << 16)
for path in files("Tests/AnalysisTests/Fixtures/routes/*"):
    put("routes", open(path, "rb").read(), limit=1 << 16)

for path in files("Probes/experiments/*.yaml") + files("Probes/campaigns/*.yaml"):
    put("experiment", open(path, "rb").read())
for path in files("Probes/campaigns/*.txt"):
    put("targets", open(path, "rb").read())
put("targets", b"198.18.0.0/30:80\n2001:db8::1 # a comment\n198.18.9.2:3478/udp\nexample.invalid:443\n")
for path in files("Probes/labs/*.yaml"):
    text = open(path, "rb").read()
    put("scenario", text)
    # Each censor policy inside a scenario, dedented, as `lab censor --policy` reads it.
    for m in re.finditer(rb"\n( +)censor:\n((?:\1  .*\n)+)", text):
        indent = len(m.group(1)) + 2
        body = b"\n".join(line[indent:] for line in m.group(2).split(b"\n"))
        put("censor-policy", body)

# DNS: a query for example.com A and an answer with one A record.
q = bytes.fromhex("123401000001000000000000076578616d706c6503636f6d0000010001")
put("dns", q)
put("dns", bytes.fromhex("123481800001000100000000076578616d706c6503636f6d0000010001c00c000100010000012c0004c6120902"))
# STUN: a binding request, a success response with XOR-MAPPED-ADDRESS, and the old crasher.
tid = bytes(range(1, 13))
put("stun", bytes.fromhex("000100002112a442") + tid)
put("stun", bytes.fromhex("0101000c2112a442") + tid + bytes.fromhex("0020000800011234e1ba0940"))
put("stun", bytes.fromhex("0101001c2112a442") + tid + bytes.fromhex("0020001800011234") + bytes(20))
# QUIC: a version negotiation packet and the start of an Initial.
put("quic", bytes.fromhex("80000000000811223344556677880800000001ff00001d6b3343cf"))
put("quic", bytes.fromhex("c00000000108a1a2a3a4a5a6a7a800004480") + bytes(64))
# What a server or a censor sends back on a payload probe's connection.
put("http-response", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
put("http-response", b"HTTP/1.1 302 Found\r\nLocation: http://198.18.6.2/warning\r\n\r\n")
put("http-response", b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n<html><title>Blocked</title></html>")
put("http-response", bytes.fromhex("1603030031020000"))
# The agent's request bodies.
for body in [b'{"method":"icmp","max_ttl":8}', b'{"method":"tcp","port":443,"max_ttl":30}',
             b'{"method":"udp","port":53}', b'{"sport":80,"dport":80,"payload":{"http_host":"example.com"},"ttl":64}',
             b'{"payload":{"tls_sni":"blocked.example"}}', b'{"payload":{"hex":"474554202f"}}']:
    put("agent-request", body)
# ASN databases: iptoasn and pfx2as lines.
put("asn-database", b"198.18.0.0\t198.18.255.255\t64500\tZZ\tLAB-NET\n2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64501\tZZ\tLAB6\n")
put("asn-database", b"198.18.0.0\t15\t64500\n2001:db8::\t32\t64501_64502\n")
