"""The instance's two secrets: the session key (SECRET_KEY: signs session cookies and CSRF tokens) and
the personal-data key (PERSONAL_DATA_KEY: seals ID and phone numbers, app/privacy.py). Neither is
derived from the other.

Each comes from its environment variable when that is set, else from its own file in the instance
folder (secret_key, personal_data_key), made at random by the first process that starts and read by
every later one. A known or short key is refused outside debug and testing: whoever knows the session
key can sign a cookie that opens any account.
"""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

# Values published with the code (the old default, the tests' key) and the usual placeholders.
KNOWN = frozenset({"dev-only-change-me", "tests-only", "dev", "development", "secret", "secret-key", "secret_key",
                   "changeme", "change-me", "change_me", "please-change-me", "your-secret-key", "default", "key",
                   "test", "testing", "password", "yibiao"})
MIN_LENGTH = 16
# The key sealing personal data before it had its own: derived from SECRET_KEY, or from this default.
OLD_DEFAULT = "dev-only-change-me"
MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


class UnsafeKey(RuntimeError):
    """The server must not start with this key."""


def init_keys(app: Flask, has_sealed_data) -> None:
    """Fill in SECRET_KEY and PERSONAL_DATA_KEY (from the instance folder when not configured) and
    refuse known ones. `has_sealed_data()` tells whether the database already holds personal data,
    asked only when the personal-data key file is first made: data sealed by an earlier version
    (with the key derived from SECRET_KEY) stays readable through the old keys (see below)."""
    cfg, folder = app.config, Path(app.config["INSTANCE_DIR"])
    configured_session_key = cfg.get("SECRET_KEY")
    if not configured_session_key:
        cfg["SECRET_KEY"] = _instance_secret(folder / "secret_key")
    if not cfg.get("PERSONAL_DATA_KEY"):
        old_keys = folder / "personal_data_old_keys"
        if not (folder / "personal_data_key").exists() and has_sealed_data():
            # Sealed before this key existed: readable with the old key until `flask personal-data rotate`.
            _instance_secret(old_keys, lambda: configured_session_key or OLD_DEFAULT)
        cfg["PERSONAL_DATA_KEY"] = _instance_secret(folder / "personal_data_key")
        if old_keys.exists():
            cfg["PERSONAL_DATA_OLD_KEYS"] = [*cfg["PERSONAL_DATA_OLD_KEYS"], *_read(old_keys).splitlines()]
    if not (app.testing or app.debug):
        for name in ("SECRET_KEY", "PERSONAL_DATA_KEY"):
            refuse_unsafe(name, cfg[name])
        for key in cfg["SECRET_KEY_FALLBACKS"]:
            refuse_unsafe("SECRET_KEY_FALLBACKS", key)


def refuse_unsafe(name: str, key: str | None) -> None:
    if not key or key.strip().lower() in KNOWN or len(key) < MIN_LENGTH:
        raise UnsafeKey(
            f"{name} 为空、是公开的已知值或短于 {MIN_LENGTH} 个字符：知道它的人能伪造登录或解开个人信息，服务拒绝启动。"
            f"请删除该环境变量（首次启动时会在实例目录生成随机密钥并保存），或设为随机值，例如 "
            f"export {name}=$({MAKE_ONE})。仅调试（FLASK_DEBUG=1）和测试时允许这类值。")


def _instance_secret(path: Path, make=lambda: secrets.token_hex(32)) -> str:
    """The secret kept in `path`; made first if there is none. Race-free when several workers start
    at once: each writes a whole file under a name of its own and links it into place, which only the
    first link does (O_EXCL semantics); the others read what it wrote."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(make() + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process was first: its key is the instance's
        finally:
            draft.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise UnsafeKey(f"{path} 可被其他用户读取；请执行 chmod 600 {path}")
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise UnsafeKey(f"{path} 是空的；删除它，下次启动会重新生成（已加密的个人信息需要原来的密钥）")
    return key


personal_data = AppGroup("personal-data", help="个人信息（身份号码、电话）的加密密钥")


@personal_data.command("rotate")
@click.option("--batch", default=1000, show_default=True, help="每批处理并提交的行数")
def rotate(batch):
    """用当前 PERSONAL_DATA_KEY 重新加密全部个人信息并重算检索哈希。

    先把新密钥设为 PERSONAL_DATA_KEY、旧密钥放进 PERSONAL_DATA_OLD_KEYS 并重启所有进程，再运行本命令；
    可随时中断，重复运行只处理尚未更新的行。
    """
    from cryptography.exceptions import InvalidTag

    from app import privacy

    try:
        changed_meanwhile = privacy.rotate(click.echo, batch)
    except InvalidTag as e:
        raise click.ClickException(f"有数据用当前密钥和旧密钥都无法解开（{e}）；请把当时的密钥加入 PERSONAL_DATA_OLD_KEYS") from None
    if changed_meanwhile:
        click.echo(f"有 {changed_meanwhile} 行在此期间被其他进程修改，未覆盖；请再运行一次确认。")
    else:
        click.echo("全部个人信息已由当前密钥加密。旧密钥只在恢复更早的数据库备份时还需要，可在不再需要时移除。")
