"""HTTPS through a proxy (issue 14): the fake Bot API served over TLS with a certificate of
a private CA made here, a small CONNECT proxy in front of it; the bot trusts the CA through
``PSM_CA_FILE`` (in process) or OpenSSL's ``SSL_CERT_FILE`` (the real ``psm-bot run``),
registers a participant through the tunnel, and goes direct for the hosts ``NO_PROXY`` names.

The certificates come from the ``cryptography`` package when it is installed, else from the
``openssl`` command; without either the tests are skipped with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import ipaddress
import re
import shutil
import signal
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import Backoff, StartupError, serve
from bot.sandbox.botapi.server import FakeBotApi
from config.event import load_event_config
from config.settings import Settings
from tests.harness import BotHarness, bot_api_server, environ_without_psm, register, settings_for
from tests.test_proxy_e2e import PROXY_VARIABLES, ForwardingProxy

CONNECT_LINE = re.compile(rb"CONNECT ([^\s:]+):(\d+) HTTP/1\.[01]")
NO_TOOL = (
    "neither the cryptography package nor the openssl command is installed: the CONNECT path "
    "over TLS was not tested"
)


@dataclass(frozen=True)
class Certificates:
    """A private CA and a server certificate it signed for 127.0.0.1 and localhost."""

    ca: Path
    certificate: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """The TLS context the fake Bot API serves with."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate, self.key)
        return context


def _with_cryptography(folder: Path) -> Certificates | None:
    """The certificates made with the ``cryptography`` package (None when not installed)."""
    try:
        x509: Any = importlib.import_module("cryptography.x509")
        oid: Any = importlib.import_module("cryptography.x509.oid")
        ec: Any = importlib.import_module("cryptography.hazmat.primitives.asymmetric.ec")
        hashes: Any = importlib.import_module("cryptography.hazmat.primitives.hashes")
        pem: Any = importlib.import_module("cryptography.hazmat.primitives.serialization")
    except ImportError:
        return None
    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> Any:
        return x509.Name([x509.NameAttribute(oid.NameOID.COMMON_NAME, common)])

    def builder(subject: str, issuer: str, public: Any) -> Any:
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
        )

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement"), False
    )
    ca = (
        builder("psm-bot test CA", "psm-bot test CA", ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
                **usage,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        builder("127.0.0.1", "psm-bot test CA", key.public_key())
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    made = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    made.ca.write_bytes(ca.public_bytes(pem.Encoding.PEM))
    made.certificate.write_bytes(server.public_bytes(pem.Encoding.PEM))
    made.key.write_bytes(
        key.private_bytes(pem.Encoding.PEM, pem.PrivateFormat.PKCS8, pem.NoEncryption())
    )
    return made


SERVER_EXTENSIONS = """\
subjectAltName=IP:127.0.0.1,DNS:localhost
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
"""


def _with_openssl(folder: Path) -> Certificates | None:
    """The certificates made with the ``openssl`` command (None when it is not installed)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    made = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    ca_key, request, extensions = folder / "ca.key", folder / "server.csr", folder / "server.ext"
    extensions.write_text(SERVER_EXTENSIONS)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", made.ca, "-days", "2", "-subj"],
        ["req", "-new", *ec, "-keyout", made.key, "-out", request, "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", request, "-CA", made.ca, "-CAkey", ca_key, "-set_serial", "2"],
    ]
    steps[0] += ["/CN=psm-bot test CA", "-addext", "basicConstraints=critical,CA:TRUE"]
    steps[0] += ["-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    steps[2] += ["-days", "2", "-out", made.certificate, "-extfile", extensions]
    for step in steps:
        subprocess.run([openssl, *map(str, step)], check=True, capture_output=True, timeout=30)
    return made


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Made once for the module; skipped with one line when nothing can make them."""
    folder = tmp_path_factory.mktemp("tls")
    made = _with_cryptography(folder) or _with_openssl(folder)
    if made is None:
        pytest.skip(NO_TOOL)
    return made


class ConnectProxy(ForwardingProxy):
    """An HTTP proxy that only tunnels (``CONNECT host:port``), as for https:// targets;
    records each tunnel's target. Anything else is answered 405."""

    def __init__(self) -> None:
        super().__init__()
        self.tunnels: list[str] = []
        self.refused: list[bytes] = []

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        target = CONNECT_LINE.fullmatch(head.split(b"\r\n", 1)[0])
        if target is None:
            self.refused.append(head.split(b"\r\n", 1)[0])
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        host, port = target.group(1).decode(), int(target.group(2))
        up_reader, up_writer = await asyncio.open_connection(host, port)
        self.tunnels.append(f"{host}:{port}")
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pipes = [
            asyncio.create_task(self._pipe(reader, up_writer, record=False)),
            asyncio.create_task(self._pipe(up_reader, writer, record=False)),
        ]
        self._tasks.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
        for end in (writer, up_writer):
            end.close()


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[ConnectProxy, str]]:
    tunnelling = ConnectProxy()
    url = await tunnelling.start()
    try:
        yield tunnelling, url
    finally:
        await tunnelling.stop()


@pytest.fixture
async def tls_api(
    certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeBotApi]:
    """The fake Bot API on https://127.0.0.1, with no proxy variable of this machine's."""
    for name in (*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    async with bot_api_server(ssl_context=certificates.server_context()) as server:
        yield server


class ProxiedBot(BotHarness):
    """The bot under test with more settings (the proxy, the CA file)."""

    def __init__(self, api: FakeBotApi, tmp_path: Path, **more: Any) -> None:
        super().__init__(api, tmp_path)
        self.more = more

    def settings(self) -> Settings:
        """The harness's settings plus :attr:`more`."""
        return super().settings().model_copy(update=self.more)


def host_port(api: FakeBotApi) -> str:
    """``127.0.0.1:<port>``, as a CONNECT line names the fake server."""
    return api.url.removeprefix("https://")


async def test_a_participant_registers_through_the_connect_tunnel(
    tls_api: FakeBotApi,
    proxy: tuple[ConnectProxy, str],
    certificates: Certificates,
    tmp_path: Path,
) -> None:
    tunnelling, url = proxy
    assert tls_api.url.startswith("https://")
    async with ProxiedBot(tls_api, tmp_path, proxy=SecretStr(url), ca_file=certificates.ca) as bot:
        confirmed, _ = await register(tls_api.user(7300, "Ada"))
        assert "confermata" in confirmed.content
        stored = await bot.services.db.fetchone("SELECT count(*) FROM registrations")
        assert stored is not None and stored[0] == 1
    assert tunnelling.tunnels and set(tunnelling.tunnels) == {host_port(tls_api)}
    assert tunnelling.refused == []  # https:// never goes as a plain request to the proxy


async def test_the_environments_https_proxy_tunnels_too(
    tls_api: FakeBotApi,
    proxy: tuple[ConnectProxy, str],
    certificates: Certificates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tunnelling, url = proxy
    monkeypatch.setenv("HTTPS_PROXY", url)
    async with ProxiedBot(tls_api, tmp_path, ca_file=certificates.ca):
        user = tls_api.user(7301, "Bea")
        await user.send("/mioid")
        await user.wait_for("7301")
    assert set(tunnelling.tunnels) == {host_port(tls_api)}


@pytest.mark.parametrize("where", ["environment", "psm_proxy"])
async def test_no_proxy_bypasses_the_tunnel(
    tls_api: FakeBotApi,
    proxy: tuple[ConnectProxy, str],
    certificates: Certificates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    tunnelling, url = proxy
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    more: dict[str, Any] = {"ca_file": certificates.ca}
    if where == "environment":
        monkeypatch.setenv("HTTPS_PROXY", url)
    else:
        more["proxy"] = SecretStr(url)
    async with ProxiedBot(tls_api, tmp_path, **more):
        user = tls_api.user(7302, "Cleo")
        await user.send("/mioid")
        await user.wait_for("7302")
    assert tunnelling.tunnels == []


async def test_an_untrusted_certificate_is_one_clear_line(
    tls_api: FakeBotApi, proxy: tuple[ConnectProxy, str], tmp_path: Path
) -> None:
    """Without the CA (a TLS-inspecting proxy nobody told the bot about): the start fails
    with a line naming the certificate and PSM_CA_FILE, not a bare SSL error."""
    _, url = proxy
    chosen = settings_for(
        tmp_path / "psm.sqlite3", token=tls_api.token, api_base_url=tls_api.url, proxy=url
    )
    with pytest.raises(StartupError) as refused:
        await serve(chosen, load_event_config(), backoff=Backoff(first=0, attempts=1))
    line = str(refused.value)
    assert "the TLS certificate of 127.0.0.1 is not trusted" in line
    assert "set PSM_CA_FILE" in line and tls_api.token not in line


def test_the_ca_file_setting_is_checked(certificates: Certificates, tmp_path: Path) -> None:
    database = tmp_path / "x.sqlite3"
    assert settings_for(database, ca_file=str(certificates.ca)).ca_file == certificates.ca
    assert settings_for(database, ca_file="").ca_file is None
    with pytest.raises(ValueError, match=r"missing\.pem is not a file"):
        settings_for(database, ca_file=str(tmp_path / "missing.pem"))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ValueError, match=r"garbage\.pem holds no PEM CA certificate"):
        settings_for(database, ca_file=str(garbage))


async def test_psm_bot_run_trusts_ssl_cert_file_through_https_proxy(
    tls_api: FakeBotApi,
    proxy: tuple[ConnectProxy, str],
    certificates: Certificates,
    tmp_path: Path,
) -> None:
    """The real command, configured as on a server behind the proxy: ``HTTPS_PROXY`` and
    OpenSSL's ``SSL_CERT_FILE`` in its environment (no PSM_CA_FILE)."""
    tunnelling, url = proxy
    env = environ_without_psm(
        PSM_BOT_TOKEN=tls_api.token,
        PSM_API_BASE_URL=tls_api.url,
        PSM_DATABASE=str(tmp_path / "psm.sqlite3"),
        HTTPS_PROXY=url,
        SSL_CERT_FILE=str(certificates.ca),
    )
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("psm-bot")),
        "run",
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        user = tls_api.user(7303, "Dora")
        await user.send("/mioid")
        await user.wait_for("7303", timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, err.decode()[-2000:]
    assert set(tunnelling.tunnels) == {host_port(tls_api)}
