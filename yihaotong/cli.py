"""The ``yihaotong`` console command.

yihaotong demo        set up the embedded database, load demo data, run the site and the worker
yihaotong serve       production: gunicorn with several workers plus the huey consumer
yihaotong worker      the huey consumer (deadline sweeps, notifications)
yihaotong migrate     apply database migrations
yihaotong seed-demo   load the directory, calendar and demo orders (and print the logins)
yihaotong train-router   train the routing suggestion models on the closed orders (a new version)
yihaotong eval-routing   train the routing pipeline on a CSV file, measure it on another (no database)
yihaotong eval-search    import DOCS.jsonl into a temporary knowledge base, measure search_articles on QUERIES
yihaotong simulate-telephony  play a call (ring → answer → end) against the telephony webhook
yihaotong poll-letters   read new mail from the letters mailbox (IMAP) into letters waiting for an operator
yihaotong fake-sms-gateway  a local fake SMS gateway (prints the messages it receives) for demos
yihaotong rebuild-rollups  rebuild the analytics rollups from the event log and the contacts
yihaotong monthly-report   generate the monthly report (月报) of a month, optionally as a workbook
yihaotong manage ...  any Django management command
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yihaotong.config.settings")
    from yihaotong.config import settings as s  # noqa: F401 - validates the environment early

    Path(s.VAR_DIR).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def cmd_migrate(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_seed_demo(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from yihaotong.demo import seed_demo

    seed_demo(orders=args.orders, days=args.days, seed=args.seed, quiet=False, reset_passwords=True)
    return 0


def _spawn_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yihaotong.cli", "worker"], env=os.environ.copy())


def cmd_rebuild_rollups(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("rebuild_rollups", *(["--catch-up"] if args.catch_up else []))
    return 0


def cmd_monthly_report(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("monthly_report", *([args.month] if args.month else []), *(["--xlsx", args.xlsx] if args.xlsx else []))
    return 0


def cmd_demo(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from yihaotong.demo import demo_is_loaded, print_logins, seed_demo

    if not demo_is_loaded():
        seed_demo(orders=args.orders, days=90, seed=7, quiet=False, reset_passwords=True)
    else:
        print_logins()
    worker = _spawn_worker()
    host, port = args.addr.rsplit(":", 1) if ":" in args.addr else ("127.0.0.1", args.addr)
    print(f"\n一号通 demo: http://{host}:{port}/  (admin /admin/, API docs /api/v1/docs)\n", flush=True)
    try:
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=10)
    return 0


def cmd_worker(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("run_huey", workers=args.workers, worker_type="thread")
    return 0


def cmd_serve(args) -> int:
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    worker = _spawn_worker() if not args.no_worker else None
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "yihaotong.config.wsgi:application",
        "--workers",
        str(args.workers),
        "--bind",
        args.bind,
        "--access-logfile",
        "-",
        "--timeout",
        "60",
    ]
    try:
        return subprocess.call(cmd, env=os.environ.copy())
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=10)


def cmd_train_router(args) -> int:
    _setup()
    from django.core.management import call_command

    options = {"kinds": args.kinds, "activate": args.activate, "json": args.json}
    if args.min_orders is not None:
        options["min_orders"] = args.min_orders
    call_command("train_router", **options)
    return 0


def cmd_eval_routing(args) -> int:
    # No django.setup(): the evaluation reads two CSV files and never the database.
    import json

    from yihaotong.routing.ml import evaluate_files

    try:
        result = evaluate_files(args.train, args.test, args.text_columns, args.label_column)
    except (OSError, ValueError) as exc:
        print(f"eval-routing: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


def cmd_eval_search(args) -> int:
    # A fresh, temporary embedded database: the evaluation never touches the configured one.
    import json
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix="yihaotong-eval-search-")
    os.environ["YIHAOTONG_VAR_DIR"] = tmp
    os.environ["YIHAOTONG_SQLITE"] = str(Path(tmp) / "eval.sqlite3")
    os.environ["HUEY_SQLITE"] = str(Path(tmp) / "huey.sqlite3")
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "YIHAOTONG_MODE"):
        os.environ.pop(name, None)
    try:
        _setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from yihaotong.kb.evaluate import evaluate_search

        result = evaluate_search(args.docs, args.queries)
    except (OSError, ValueError, KeyError) as exc:
        print(f"eval-search: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return 0


def cmd_simulate_telephony(args) -> int:
    # An HTTP client of the webhook, like the telephony server: no Django here.
    import json

    from yihaotong.telephony.simulate import WebhookError, play_call

    if not args.token:
        print(
            "simulate-telephony: give --token or set TELEPHONY_TOKEN (a service account's API token)", file=sys.stderr
        )
        return 2
    try:
        play_call(
            args.url,
            args.token,
            caller=args.caller,
            agent=args.agent,
            call_id=args.call_id,
            ring_seconds=args.ring,
            talk_seconds=args.talk,
            missed=args.missed,
            stop_after=args.stop_after,
            report=lambda step: print(json.dumps(step, ensure_ascii=False), flush=True),
        )
    except (WebhookError, OSError) as exc:
        print(f"simulate-telephony: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_poll_letters(args) -> int:
    _setup()
    import json

    from yihaotong.letters.poller import MailboxError, poll_mailbox

    try:
        result = poll_mailbox()
    except MailboxError as exc:
        print(f"poll-letters: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def cmd_fake_sms_gateway(args) -> int:
    # The fake of the SMS gateway the notifications adapter talks to (no Django needed).
    import json
    import time

    from yihaotong.notifications.fakegateway import FakeSmsGateway

    gw = FakeSmsGateway(key=args.key, secret=args.secret, port=args.port).start()
    print(f"SMS_GATEWAY_URL={gw.url} SMS_GATEWAY_KEY={args.key} SMS_GATEWAY_SECRET={args.secret}", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            for msg in gw.messages[seen:]:
                print(json.dumps(msg, ensure_ascii=False), flush=True)
            seen = len(gw.messages)
    except KeyboardInterrupt:
        gw.stop()
    return 0


def cmd_manage(args) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yihaotong", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yihaotong", description="一号通: the district citizen-service hotline.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="set up the embedded default with demo data and run it on 127.0.0.1:8000")
    p.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on (default 127.0.0.1:8000)")
    p.add_argument("--orders", type=int, default=400, help="demo orders to create the first time (default 400)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="production server: gunicorn workers plus the huey consumer")
    p.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    p.add_argument("--no-worker", action="store_true", help="do not start the huey consumer")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the huey consumer (deadline warnings, notifications)")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.add_argument("--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed-demo", help="load the directory, calendar, users and demo orders; print logins")
    p.add_argument("--orders", type=int, default=400)
    p.add_argument("--days", type=int, default=90, help="spread orders over this many past days")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("train-router", help="train the request-type, category and unit suggestion models")
    p.add_argument("--kinds", default="request_type,category,unit", help="comma-separated kinds to train")
    p.add_argument("--min-orders", type=int, help="usable closed orders needed per kind (default: policy)")
    p.add_argument("--activate", choices=["auto", "always", "never"], default="auto")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_train_router)

    p = sub.add_parser(
        "eval-routing", help="train the production routing pipeline on TRAIN.csv, measure on TEST.csv (JSON)"
    )
    p.add_argument("--train", required=True, metavar="TRAIN.csv")
    p.add_argument("--test", required=True, metavar="TEST.csv")
    p.add_argument("--text-columns", required=True, metavar="COL[,COL...]", help="joined by a new line")
    p.add_argument("--label-column", required=True, metavar="COL")
    p.add_argument("--json", action="store_true", help="print one JSON object (always the output format)")
    p.set_defaults(func=cmd_eval_routing)

    p = sub.add_parser(
        "eval-search", help="import DOCS.jsonl into a temporary knowledge base, run QUERIES.jsonl (JSON)"
    )
    p.add_argument("--docs", required=True, metavar="DOCS.jsonl", help="doc_id, text, optional title, department")
    p.add_argument("--queries", required=True, metavar="QUERIES.jsonl", help="query_id, query, relevant_doc_ids")
    p.add_argument("--json", action="store_true", help="print one JSON object (always the output format)")
    p.set_defaults(func=cmd_eval_search)

    p = sub.add_parser("simulate-telephony", help="play a call (ring, answer, end) against the telephony webhook")
    p.add_argument("--url", default=os.environ.get("YIHAOTONG_URL", "http://127.0.0.1:8000"), help="the site")
    p.add_argument("--token", default=os.environ.get("TELEPHONY_TOKEN", ""), help="service account token")
    p.add_argument("--caller", required=True, help="the caller's number")
    p.add_argument("--agent", default="", help="the operator's username or extension who answers")
    p.add_argument("--call-id", default=None, help="the call's id (default: a new one)")
    p.add_argument("--ring", type=float, default=1.0, help="seconds of ringing (default 1)")
    p.add_argument("--talk", type=float, default=3.0, help="seconds of talk (default 3)")
    p.add_argument("--missed", action="store_true", help="ring and hang up unanswered (a missed call)")
    p.add_argument("--stop-after", choices=["ringing", "answered", "ended"], default="ended")
    p.set_defaults(func=cmd_simulate_telephony)

    p = sub.add_parser("poll-letters", help="read new mail from the letters mailbox (IMAP settings from env)")
    p.set_defaults(func=cmd_poll_letters)

    p = sub.add_parser("fake-sms-gateway", help="run a local fake SMS gateway and print what it receives (demos)")
    p.add_argument("--port", type=int, default=8025, help="port on 127.0.0.1 (default 8025)")
    p.add_argument("--key", default="demo-key", help="API key it accepts")
    p.add_argument("--secret", default="demo-secret", help="signing secret it checks")
    p.set_defaults(func=cmd_fake_sms_gateway)

    p = sub.add_parser("rebuild-rollups", help="rebuild the analytics rollups from the events (--catch-up: new only)")
    p.add_argument("--catch-up", action="store_true")
    p.set_defaults(func=cmd_rebuild_rollups)

    p = sub.add_parser("monthly-report", help="generate the monthly report (月报) of YYYY-MM (default: last month)")
    p.add_argument("month", nargs="?", default="")
    p.add_argument("--xlsx", help="also write the workbook to this path")
    p.set_defaults(func=cmd_monthly_report)

    p = sub.add_parser("manage", help="run a Django management command, e.g. `yihaotong manage check`")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
