"""`heli keys generate PATH`: a new key file (mode 0600) for HELI_KEY_FILE.
`heli keys add PATH`: a new SM4 key in that file, made the current one (the others kept).
`heli keys rotate [--batch N]`: every encrypted value re-encrypted under the current key.
`heli keys retire VERSION PATH`: an old key removed from the file, once nothing uses it.

The rotation procedure (README, Keys): add, restart, rotate, retire, restart. Digest keys
(HELI_DIGEST_KEY) are not rotated: the digests are the lookup and duplicate indexes."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from heli.audit.services import Actor, record
from heli.core import crypto, keyfile, rotation


class Command(BaseCommand):
    help = "Key files and key rotation of the personal data at rest."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="what", required=True)
        generate = commands.add_parser("generate", help="write a new key file (mode 0600)")
        generate.add_argument("path", type=Path)
        add = commands.add_parser("add", help="add a new current SM4 key to a key file")
        add.add_argument("path", type=Path)
        rotate = commands.add_parser("rotate", help="re-encrypt everything with the current key")
        rotate.add_argument("--batch", type=int, default=rotation.BATCH)
        retire = commands.add_parser("retire", help="remove an unused old key from a key file")
        retire.add_argument("version", type=int)
        retire.add_argument("path", type=Path)

    def handle(self, *args, what: str, **options):
        getattr(self, f"_{what}")(**options)

    def _generate(self, path: Path, **_options) -> None:
        try:
            keyfile.write_new(
                path,
                {
                    "HELI_FIELD_KEYS": f"1:{keyfile.new_key()}",
                    "HELI_DIGEST_KEY": keyfile.new_key(),
                    # The audit chain's key: 32 bytes (heli.core.seal).
                    "HELI_AUDIT_KEY": keyfile.new_key(32),
                },
            )
        except FileExistsError as exc:
            raise CommandError(f"{path} exists: a key file is never overwritten") from exc
        self.stdout.write(f"{path}: written (mode 0600); point HELI_KEY_FILE at it")

    def _add(self, path: Path, **_options) -> None:
        values = keyfile.read(path)
        keys = keyfile.field_keys(values)
        version = max((v for v, _key in keys), default=0) + 1
        if version > 255:
            raise CommandError("255 key versions are used: retire old ones first")
        keyfile.replace(path, values, [(version, keyfile.new_key()), *keys])
        self.stdout.write(
            f"{path}: key version {version} added as the current one. Restart heli (web and "
            "worker) with it, then run `heli keys rotate`."
        )

    def _rotate(self, batch: int, **_options) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        version = crypto.current_version()

        def progress(name: str, rewritten: int, seen: int) -> None:
            self.stderr.write(f"{name}: {seen} rows read, {rewritten} re-encrypted")

        outcome = rotation.rotate(batch=batch, progress=progress)
        unreadable = sum(len(ids) for ids in outcome.unreadable.values())
        record(
            Actor.system("keys"),
            "keys.rotate",
            detail={"version": version, "rewritten": outcome.total, "unreadable": unreadable},
        )
        self.stdout.write(f"{outcome.total} values re-encrypted under key version {version}.")
        for name, ids in outcome.unreadable.items():
            self.stderr.write(f"{name}: {len(ids)} values do not decrypt (ids {ids[:20]})")

    def _retire(self, version: int, path: Path, **_options) -> None:
        values = keyfile.read(path)
        keys = keyfile.field_keys(values)
        if version not in dict(keys):
            raise CommandError(f"{path} has no key version {version}")
        if keys[0][0] == version:
            raise CommandError(f"key version {version} is the current one")
        left = rotation.count_by_version().get(version, 0)
        if left:
            raise CommandError(
                f"{left} values are still under key version {version}: run `heli keys rotate`"
            )
        keyfile.replace(path, values, [(v, key) for v, key in keys if v != version])
        self.stdout.write(f"{path}: key version {version} removed. Restart heli with it.")
