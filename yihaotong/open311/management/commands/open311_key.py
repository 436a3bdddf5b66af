"""Issue, list or revoke Open311 API keys: `yihaotong manage open311_key issue NAME --by ADMIN`."""

from django.core.management.base import BaseCommand, CommandError

from yihaotong.accounts.models import User
from yihaotong.core.errors import DomainError
from yihaotong.open311.actions import do_issue_api_key, do_revoke_api_key
from yihaotong.open311.models import ApiClient


class Command(BaseCommand):
    help = "Issue, list or revoke Open311 GeoReport v2 API keys (a key is printed once and stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["issue", "list", "revoke"])
        parser.add_argument("name", nargs="?", help="the client's name (issue, revoke)")
        parser.add_argument("--note", default="")
        parser.add_argument("--by", default="admin", help="the system administrator who issues or revokes")

    def handle(self, *args, verb, name, note, by, **options):
        if verb == "list":
            for c in ApiClient.objects.all():
                state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
                self.stdout.write(f"{c.name}\t{c.key_prefix}…\t{state}")
            return
        if not name:
            raise CommandError("name the client")
        actor = User.objects.filter(username=by).first()
        if actor is None:
            raise CommandError(f"no user {by!r}")
        try:
            if verb == "issue":
                client, raw = do_issue_api_key(actor, name=name, note=note)
                self.stdout.write(f"{client.name}: {raw}")
            else:
                client = ApiClient.objects.filter(name=name).first()
                if client is None:
                    raise CommandError(f"no client {name!r}")
                do_revoke_api_key(actor, client.pk)
                self.stdout.write(f"{client.name}: revoked")
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.errors or ''}".strip()) from exc
