#include "CTLSShim.h"
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cs_tls_server {
    SSL_CTX *ctx;
    X509 *cert;
};

struct cs_tls_conn {
    SSL *ssl;
    char sni[256];   // copied in the servername callback, so it survives a failed handshake
};

static void set_error(char *err, size_t errlen, const char *what) {
    unsigned long code = ERR_get_error();
    if (code != 0) {
        char detail[200];
        ERR_error_string_n(code, detail, sizeof detail);
        snprintf(err, errlen, "%s (%s)", what, detail);
    } else {
        snprintf(err, errlen, "%s", what);
    }
    ERR_clear_error();
}

static int add_extension(X509 *cert, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

// Self-signed, valid from yesterday for ten years, random serial, SAN = the name.
static int generate(const char *common_name, EVP_PKEY **key_out, X509 **cert_out) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    unsigned char serial[8];
    char san[300];
    int ok = key != NULL && cert != NULL && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7F;   // positive
        BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
        ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
        BN_free(bn);
    }
    if (ok) {
        X509_NAME *name = X509_get_subject_name(cert);
        ok = X509_set_version(cert, 2)
            && X509_gmtime_adj(X509_getm_notBefore(cert), -86400) != NULL
            && X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 86400) != NULL
            && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"CensorScope lab", -1, -1, 0)
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1, -1, 0)
            && X509_set_issuer_name(cert, name)
            && X509_set_pubkey(cert, key);
    }
    if (ok) {
        // An address (the agent's listen address) is an IP SAN; a name (a lab node) a DNS SAN.
        unsigned char ip[16];
        int is_ip = inet_pton(AF_INET, common_name, ip) == 1 || inet_pton(AF_INET6, common_name, ip) == 1;
        snprintf(san, sizeof san, "%s:%s", is_ip ? "IP" : "DNS", common_name);
        ok = add_extension(cert, NID_subject_alt_name, san)
            && add_extension(cert, NID_basic_constraints, "critical,CA:FALSE")
            && add_extension(cert, NID_key_usage, "critical,digitalSignature")
            && add_extension(cert, NID_ext_key_usage, "serverAuth")
            && X509_sign(cert, key, EVP_sha256()) > 0;
    }
    if (!ok) {
        EVP_PKEY_free(key);
        X509_free(cert);
        return 0;
    }
    *key_out = key;
    *cert_out = cert;
    return 1;
}

// Writes through a temporary file and rename(), so a reader never sees half a file.
static int write_pem(const char *path, int mode, void *object, int is_key) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) return 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return 0;
    FILE *f = fdopen(fd, "w");
    if (f == NULL) { close(fd); unlink(tmp); return 0; }
    int ok = is_key ? PEM_write_PrivateKey(f, (EVP_PKEY *)object, NULL, NULL, 0, NULL, NULL)
                    : PEM_write_X509(f, (X509 *)object);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) { unlink(tmp); return 0; }
    return 1;
}

static int load(const char *cert_path, const char *key_path, EVP_PKEY **key, X509 **cert) {
    FILE *cf = fopen(cert_path, "r");
    if (cf == NULL) return 0;
    *cert = PEM_read_X509(cf, NULL, NULL, NULL);
    fclose(cf);
    FILE *kf = fopen(key_path, "r");
    if (kf == NULL) { X509_free(*cert); return 0; }
    *key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
    fclose(kf);
    if (*cert == NULL || *key == NULL) {
        X509_free(*cert);
        EVP_PKEY_free(*key);
        return 0;
    }
    return 1;
}

static int servername_cb(SSL *ssl, int *alert, void *arg) {
    (void)alert; (void)arg;
    cs_tls_conn *conn = SSL_get_app_data(ssl);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (conn != NULL && name != NULL) snprintf(conn->sni, sizeof conn->sni, "%s", name);
    return SSL_TLSEXT_ERR_OK;   // any SNI is welcome
}

// Picks http/1.1 when the client offers ALPN; h2 is not spoken here.
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, ours, sizeof ours - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

cs_tls_server *cs_tls_server_new(const char *cert_path, const char *key_path,
                                 const char *common_name, char *err, size_t errlen) {
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    int have_paths = cert_path != NULL && key_path != NULL;
    if (!(have_paths && access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0
          && load(cert_path, key_path, &key, &cert))) {
        if (!generate(common_name, &key, &cert)) {
            set_error(err, errlen, "cannot generate a self-signed certificate");
            return NULL;
        }
        if (have_paths && !(write_pem(key_path, 0600, key, 1) && write_pem(cert_path, 0644, cert, 0))) {
            snprintf(err, errlen, "cannot write the certificate to %s: %s", cert_path, strerror(errno));
            EVP_PKEY_free(key);
            X509_free(cert);
            return NULL;
        }
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int ok = ctx != NULL
        && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        && SSL_CTX_use_certificate(ctx, cert) == 1
        && SSL_CTX_use_PrivateKey(ctx, key) == 1
        && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(key);   // the context holds its own references
    if (!ok) {
        set_error(err, errlen, "cannot set up TLS with this certificate and key");
        SSL_CTX_free(ctx);
        X509_free(cert);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
    cs_tls_server *server = calloc(1, sizeof *server);
    if (server == NULL) { SSL_CTX_free(ctx); X509_free(cert); return NULL; }
    server->ctx = ctx;
    server->cert = cert;
    return server;
}

void cs_tls_server_free(cs_tls_server *server) {
    if (server == NULL) return;
    SSL_CTX_free(server->ctx);
    X509_free(server->cert);
    free(server);
}

int cs_tls_certificate(const char *cert_path, const char *key_path, const char *name,
                       char fingerprint[65], int *generated, char *err, size_t errlen) {
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    *generated = 0;
    fingerprint[0] = 0;
    if (access(cert_path, F_OK) == 0 || access(key_path, F_OK) == 0) {
        if (!load(cert_path, key_path, &key, &cert)) {
            snprintf(err, errlen, "cannot read the certificate %s and key %s: remove both to make new ones", cert_path, key_path);
            return 0;
        }
    } else {
        if (!generate(name, &key, &cert)) {
            set_error(err, errlen, "cannot generate a self-signed certificate");
            return 0;
        }
        if (!(write_pem(key_path, 0600, key, 1) && write_pem(cert_path, 0644, cert, 0))) {
            snprintf(err, errlen, "cannot write the certificate to %s: %s", cert_path, strerror(errno));
            EVP_PKEY_free(key);
            X509_free(cert);
            return 0;
        }
        *generated = 1;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = X509_check_private_key(cert, key) == 1 && X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32;
    if (ok) {
        for (unsigned int i = 0; i < 32; i++) snprintf(fingerprint + 2 * i, 3, "%02x", md[i]);
    } else {
        snprintf(err, errlen, "the key %s does not belong to the certificate %s: remove both to make new ones", key_path, cert_path);
    }
    EVP_PKEY_free(key);
    X509_free(cert);
    return ok;
}

void cs_tls_server_fingerprint(cs_tls_server *server, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = 0;
    if (X509_digest(server->cert, EVP_sha256(), md, &n) != 1) return;
    for (unsigned int i = 0; i < n && i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cs_tls_conn *cs_tls_accept(cs_tls_server *server, int fd, int timeout_ms,
                           char *sni_out, size_t sni_len, char *err, size_t errlen) {
    if (sni_out != NULL && sni_len > 0) sni_out[0] = 0;
    cs_tls_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL) { snprintf(err, errlen, "out of memory"); return NULL; }
    conn->ssl = SSL_new(server->ctx);
    if (conn->ssl == NULL || SSL_set_fd(conn->ssl, fd) != 1) {
        set_error(err, errlen, "cannot start TLS");
        SSL_free(conn->ssl);
        free(conn);
        return NULL;
    }
    SSL_set_app_data(conn->ssl, conn);
    // Non-blocking during the handshake so the whole of it has one deadline.
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    long deadline = now_ms() + timeout_ms;
    int done = 0;
    while (!done) {
        ERR_clear_error();
        int r = SSL_accept(conn->ssl);
        if (r == 1) { done = 1; break; }
        int e = SSL_get_error(conn->ssl, r);
        short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        long left = deadline - now_ms();
        if (events == 0) {
            set_error(err, errlen, e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN
                      ? "client closed during the handshake" : "handshake failed");
            break;
        }
        if (left <= 0) { snprintf(err, errlen, "handshake timed out"); break; }
        struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno != EINTR) { snprintf(err, errlen, "poll: %s", strerror(errno)); break; }
    }
    fcntl(fd, F_SETFL, flags);
    if (sni_out != NULL && sni_len > 0) snprintf(sni_out, sni_len, "%s", conn->sni);
    if (!done) {
        SSL_free(conn->ssl);
        free(conn);
        return NULL;
    }
    return conn;
}

const char *cs_tls_servername(cs_tls_conn *conn) { return conn->sni[0] ? conn->sni : NULL; }

const char *cs_tls_version(cs_tls_conn *conn) { return SSL_get_version(conn->ssl); }

int cs_tls_pending(cs_tls_conn *conn) { return SSL_pending(conn->ssl); }

long cs_tls_read(cs_tls_conn *conn, void *buf, int len) {
    ERR_clear_error();
    int r = SSL_read(conn->ssl, buf, len);
    if (r > 0) return r;
    return SSL_get_error(conn->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

long cs_tls_write(cs_tls_conn *conn, const void *buf, int len) {
    const char *p = buf;
    int left = len;
    while (left > 0) {
        ERR_clear_error();
        int r = SSL_write(conn->ssl, p, left);
        if (r <= 0) return -1;
        p += r;
        left -= r;
    }
    return len;
}

// One client context for the process: no verification, TLS 1.2 and 1.3, ALPN http/1.1.
static SSL_CTX *client_ctx;
static pthread_once_t client_once = PTHREAD_ONCE_INIT;

static void client_init(void) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) return;
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) { SSL_CTX_free(ctx); return; }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    client_ctx = ctx;
}

// Waits up to `left` ms for `events` on fd; 0 when ready, -1 on timeout or error.
static int wait_for(int fd, short events, long left) {
    if (left <= 0) return -1;
    struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) return 0;
    return r > 0 ? 0 : -1;
}

cs_tls_conn *cs_tls_connect(int fd, const char *server_name, int timeout_ms, char *err, size_t errlen) {
    pthread_once(&client_once, client_init);
    if (client_ctx == NULL) { set_error(err, errlen, "cannot set up a TLS client"); return NULL; }
    cs_tls_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL) { snprintf(err, errlen, "out of memory"); return NULL; }
    conn->ssl = SSL_new(client_ctx);
    if (conn->ssl == NULL || SSL_set_fd(conn->ssl, fd) != 1
        || (server_name != NULL && SSL_set_tlsext_host_name(conn->ssl, server_name) != 1)) {
        set_error(err, errlen, "cannot start TLS");
        SSL_free(conn->ssl);
        free(conn);
        return NULL;
    }
    if (server_name != NULL) snprintf(conn->sni, sizeof conn->sni, "%s", server_name);
    long deadline = now_ms() + timeout_ms;
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(conn->ssl);
        if (r == 1) return conn;
        int e = SSL_get_error(conn->ssl, r);
        short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (events == 0) {
            set_error(err, errlen, e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN
                      ? "the connection ended during the TLS handshake" : "the TLS handshake failed");
            break;
        }
        if (wait_for(fd, events, deadline - now_ms()) != 0) {
            snprintf(err, errlen, "the TLS handshake did not complete within %d ms", timeout_ms);
            break;
        }
    }
    SSL_free(conn->ssl);
    free(conn);
    return NULL;
}

long cs_tls_read_some(cs_tls_conn *conn, void *buf, int len, short *events) {
    ERR_clear_error();
    int r = SSL_read(conn->ssl, buf, len);
    if (r > 0) return r;
    int e = SSL_get_error(conn->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (events != NULL) *events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return -2;
    }
    return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

long cs_tls_send(cs_tls_conn *conn, const void *buf, int len, int timeout_ms) {
    const char *p = buf;
    int left = len;
    long deadline = now_ms() + timeout_ms;
    int fd = SSL_get_fd(conn->ssl);
    while (left > 0) {
        ERR_clear_error();
        int r = SSL_write(conn->ssl, p, left);
        if (r > 0) { p += r; left -= r; continue; }
        int e = SSL_get_error(conn->ssl, r);
        short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (events == 0 || wait_for(fd, events, deadline - now_ms()) != 0) return -1;
    }
    return len;
}

void cs_tls_conn_free(cs_tls_conn *conn) {
    if (conn == NULL) return;
    // One close_notify without waiting for the peer's; a quiet shutdown if it cannot be sent.
    if (SSL_shutdown(conn->ssl) < 0) SSL_set_quiet_shutdown(conn->ssl, 1);
    SSL_free(conn->ssl);
    ERR_clear_error();
    free(conn);
}
