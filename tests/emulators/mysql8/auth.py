"""Accounts and their authentication as a MySQL 8.0 server runs it (README.md cites the
sources): TLS after an SSLRequest, and caching_sha2_password's fast path, which needs the
account in the server's cache, and its full authentication, which needs a secure
transport (TLS: the password in clear) or the server's RSA key (the password XOR the
scramble, RSA-OAEP encrypted).
"""

import os
import shutil
import ssl
import subprocess
import tempfile
import threading

from wire import native_ok, sha256, xor

# sql/auth/sha2_password.cc: the one-byte AuthMoreData payloads of the exchange.
REQUEST_PUBLIC_KEY = 2
FAST_AUTH_SUCCESS = 3
PERFORM_FULL_AUTHENTICATION = 4
CACHING_SHA2_DIGEST_LENGTH = 32


def server_tls_context(cert, key):
    """MySQL 8.0.40 accepts TLSv1.2 and TLSv1.3 (tls_version's default)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class RsaKeys:
    """The key pair MySQL generates at its first start (caching_sha2_password_auto_generate_rsa_keys,
    2048 bits): its PEM public key goes to a client that asks for it, the private key decrypts
    the password. Made with the openssl command line, on first use, in a directory of its own."""

    def __init__(self):
        self.lock = threading.Lock()
        self.dir = None
        self.public_pem = None

    def _generate(self):
        self.dir = tempfile.mkdtemp(prefix="mysql8-emulator-rsa-")
        private = os.path.join(self.dir, "private_key.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", private], check=True, capture_output=True)
        self.public_pem = subprocess.run(["openssl", "pkey", "-in", private, "-pubout"], check=True,
                                         capture_output=True).stdout

    def public_key(self):
        with self.lock:
            if self.public_pem is None:
                self._generate()
            return self.public_pem

    cipher_length = 256

    def decrypt(self, cipher):
        """RSA_PKCS1_OAEP_PADDING (SHA-1, MGF1-SHA-1), as sha2_password.cc decrypts; None if it fails."""
        self.public_key()
        r = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", os.path.join(self.dir, "private_key.pem"),
                            "-pkeyopt", "rsa_padding_mode:oaep"], input=cipher, capture_output=True)
        return r.stdout if r.returncode == 0 else None

    def remove(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Accounts:
    """The accounts (user -> password), their plugin, and the caching_sha2_password cache:
    users whose SHA256(SHA256(password)) the server holds, so their scramble is checked
    without the password. A full authentication adds its user; FLUSH PRIVILEGES empties it
    (sha2_cache_cleaner_notify on MYSQL_AUDIT_AUTHENTICATION_FLUSH)."""

    def __init__(self, passwords, plugin, cached, tls_context, log):
        self.passwords = passwords
        self.plugin = plugin
        self.tls = tls_context
        self.cache = set(passwords) if cached else set()
        self.cache_lock = threading.Lock()
        self.rsa = RsaKeys()
        self.log = log

    def flush_privileges(self):
        with self.cache_lock:
            self.cache.clear()

    def verify(self, io, secure, conn_id, user, scramble, response):
        """Runs the account plugin's exchange after the client's first response; True if the
        password is right. Writes the AuthMoreData packets itself, never the OK or ERR."""
        password = self.passwords.get(user)
        if self.plugin == "mysql_native_password":
            return password is not None and native_ok(password, scramble, response)
        return self._caching_sha2(io, secure, conn_id, user, password, scramble, response)

    def _caching_sha2(self, io, secure, conn_id, user, password, scramble, response):
        # caching_sha2_password_authenticate: an empty response is "no password".
        if response in (b"", b"\x00"):
            return password == ""
        if len(response) != CACHING_SHA2_DIGEST_LENGTH:
            return False
        with self.cache_lock:
            cached = user in self.cache
        if cached and password is not None and fast_scramble_ok(password, scramble, response):
            io.write(bytes([1, FAST_AUTH_SUCCESS]))
            return True
        # Not cached, or the scramble is wrong: "In either case, move to full authentication".
        io.write(bytes([1, PERFORM_FULL_AUTHENTICATION]))
        packet = io.read()
        if not packet:
            return False
        if secure:
            clear = packet[:-1] if packet.endswith(b"\x00") else packet
            self.log("conn %d: caching_sha2_password full authentication over TLS" % conn_id)
        else:
            clear = self._rsa_password(io, conn_id, packet, scramble)
            if clear is None:
                return False
        if password is None or clear != password.encode():
            return False
        with self.cache_lock:
            self.cache.add(user)
        return True

    def _rsa_password(self, io, conn_id, packet, scramble):
        """The password a plain-TCP client sent RSA-encrypted, after the public key if it asked for it."""
        if packet == bytes([REQUEST_PUBLIC_KEY]):
            io.write(b"\x01" + self.rsa.public_key())
            self.log("conn %d: caching_sha2_password full authentication: sent the RSA public key" % conn_id)
            packet = io.read()
        if len(packet) != self.rsa.cipher_length:
            self.log("conn %d: caching_sha2_password full authentication: a %d-byte answer is no RSA cipher"
                     % (conn_id, len(packet)))
            return None
        plain = self.rsa.decrypt(packet)
        if plain is None:
            return None
        self.log("conn %d: caching_sha2_password full authentication with the RSA key" % conn_id)
        unmasked = bytes(b ^ scramble[i % len(scramble)] for i, b in enumerate(plain))
        return unmasked.split(b"\x00", 1)[0]  # strlen(plain_text): the password ends at its NUL


def fast_scramble_ok(password, scramble, response):
    """The client sends SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble); the server,
    holding SHA256(SHA256(pw)) in its cache, recovers SHA256(pw) and hashes it again."""
    stage2 = sha256(sha256(password.encode()))
    stage1 = xor(response, sha256(stage2 + scramble))
    return sha256(stage1) == stage2
