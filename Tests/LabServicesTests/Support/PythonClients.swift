/// Small independent clients, in Python so they share no code with what they test.
enum PythonClients {
    /// argv: host port. Prints "ADDRESS PORT LOCALPORT": the XOR-MAPPED-ADDRESS, decoded by
    /// hand, and the client's own port. Checks type, transaction id, length and FINGERPRINT.
    static let stunBinding = #"""
import socket, os, struct, sys, zlib, ipaddress
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
tid = os.urandom(12)
s.sendto(struct.pack('!HHI', 1, 0, 0x2112A442) + tid, (host, port))
data, src = s.recvfrom(2048)
assert src[0] == host, ('reply from', src)
typ, length, cookie = struct.unpack('!HHI', data[:8])
assert typ == 0x0101 and cookie == 0x2112A442 and data[8:20] == tid and length + 20 == len(data), data.hex()
attrs, off = {}, 20
while off < len(data):
    t, l = struct.unpack('!HH', data[off:off + 4])
    attrs[t] = (off, data[off + 4:off + 4 + l])
    off += 4 + (l + 3) // 4 * 4
fo, fv = attrs[0x8028]
assert struct.unpack('!I', fv)[0] == (zlib.crc32(data[:fo]) ^ 0x5354554E) & 0xFFFFFFFF, 'fingerprint'
x = attrs[0x0020][1]
pad = struct.pack('!I', 0x2112A442) + tid
addr = ipaddress.ip_address(bytes(a ^ b for a, b in zip(x[4:], pad)))
m = attrs[0x0001][1]
assert ipaddress.ip_address(m[4:]) == addr and struct.unpack('!H', m[2:4])[0] == struct.unpack('!H', x[2:4])[0] ^ 0x2112
print(addr, struct.unpack('!H', x[2:4])[0] ^ 0x2112, s.getsockname()[1])
"""#

    /// argv: host port nbytes. Sends random bytes, reads them back, prints "ok N".
    static let echo = #"""
import socket, os, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=5)
payload = os.urandom(n)
s.sendall(payload)
got = b''
while len(got) < n:
    chunk = s.recv(65536)
    if not chunk: break
    got += chunk
s.shutdown(socket.SHUT_WR)
assert s.recv(1) == b'', 'server did not close after our FIN'
assert got == payload, (len(got), n)
print('ok', len(got))
"""#

    /// argv: host tcpports udpports (comma lists). Throws random bytes at every port: many
    /// connections with junk, half-sent junk, instant closes, resets, random datagrams.
    static let garbage = #"""
import socket, os, sys, random, struct
host = sys.argv[1]
tcp = [int(p) for p in sys.argv[2].split(',') if p]
udp = [int(p) for p in sys.argv[3].split(',') if p]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
random.seed(5769)
for port in tcp:
    for i in range(24):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((host, port))
            mode = i % 4
            if mode == 0:
                s.sendall(os.urandom(random.randint(1, 70000)))
            elif mode == 1:
                s.sendall(b'\x16\x03\x01' + os.urandom(random.randint(0, 600)))   # TLS-ish
            elif mode == 2:
                s.sendall(struct.pack('!H', random.randint(0, 65535)) + os.urandom(random.randint(0, 300)))
            else:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))   # RST
            s.settimeout(0.2)   # servers may wait for more; do not wait for them
            try:
                s.recv(4096)
            except Exception:
                pass
        except Exception:
            pass
        finally:
            s.close()
for port in udp:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for i in range(300):
        n = random.choice([0, 1, 11, 12, 19, 20, 21, 100, 512, 1400])
        d = bytearray(os.urandom(n))
        if n >= 20 and i % 2:
            d[4:8] = b'\x21\x12\xa4\x42'   # STUN-looking
            d[0] &= 0x3f
        if n >= 12 and i % 3 == 0:
            d[2] &= 0x7f                   # DNS-query-looking
            d[4:6] = b'\x00\x01'
        s.sendto(bytes(d), (host, port))
print('sent')
"""#

    /// argv: host port count. Opens `count` connections at once and holds them; prints how
    /// many the server closed at once (over its limit) and how many it kept open.
    static let holdConnections = #"""
import socket, sys, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conns = []
for i in range(count):
    conns.append(socket.create_connection((host, port), timeout=5))
time.sleep(1.0)
closed = 0
for s in conns:
    s.setblocking(False)
    try:
        if s.recv(1) == b'':
            closed += 1
    except BlockingIOError:
        pass
print(closed, count - closed)
for s in conns:
    s.close()
"""#

    /// argv: host port hexpayload. Sends one UDP datagram, prints the reply as hex or "timeout".
    static let udpExchange = #"""
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(1.5)
s.sendto(bytes.fromhex(sys.argv[3]), (host, port))
try:
    print(s.recvfrom(65536)[0].hex())
except socket.timeout:
    print('timeout')
"""#

    /// argv: host port size version. Sends a QUIC long-header Initial of `size` bytes
    /// offering `version` (hex), with random 8-byte connection IDs. Prints the versions of
    /// the Version Negotiation that comes back (checked: version 0, IDs swapped), or "timeout".
    static let quicVersionNegotiation = #"""
import socket, os, struct, sys
host, port, size, version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4], 16)
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(1.5)
dcid, scid = os.urandom(8), os.urandom(8)
packet = bytes([0xC3]) + struct.pack('!I', version) + bytes([8]) + dcid + bytes([8]) + scid
packet += os.urandom(size - len(packet))
s.sendto(packet, (host, port))
try:
    data, src = s.recvfrom(65536)
except socket.timeout:
    print('timeout')
    sys.exit(0)
assert data[0] & 0x80 and struct.unpack('!I', data[1:5])[0] == 0, data.hex()
dl = data[5]
assert data[6:6 + dl] == scid, 'dcid is not our scid'
sl = data[6 + dl]
assert data[7 + dl:7 + dl + sl] == dcid, 'scid is not our dcid'
rest = data[7 + dl + sl:]
assert len(rest) % 4 == 0 and rest, rest.hex()
print('versions', ' '.join('%08x' % struct.unpack('!I', rest[i:i + 4])[0] for i in range(0, len(rest), 4)))
"""#
}
