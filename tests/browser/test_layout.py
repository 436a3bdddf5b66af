"""The main screens are readable at 1366×768 (the operators' screens) and on a 1920-wide second monitor:
nothing wider than the window (no sideways scrolling), in Chinese and in English. A screenshot of each
screen at each width is saved with the other browser artifacts."""

from __future__ import annotations

import pytest

from tests.factories import build_cast, drive, new_order

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"
WIDTHS = {"1366": {"width": 1366, "height": 768}, "1920": {"width": 1920, "height": 1080}}


@pytest.fixture
def people():
    cast = build_cast()
    for user in (cast.operator, cast.dispatcher, cast.edu, cast.supervisor, cast.callback):
        user.set_password(PASSWORD)
        user.save()
    # something on every screen: a new order, one in the unit's inbox, one awaiting callback
    new_order(cast)
    drive(cast, new_order(cast), "in_progress")
    order = drive(cast, new_order(cast), "pending_callback")
    return cast, order


SCREENS = [
    ("operator", "/desk/", "desk"),
    ("dispatcher", "/queue/", "queue"),
    ("dispatcher", "/orders/", "orders"),
    ("dispatcher", "/orders/{order}/", "order"),
    ("edu", "/inbox/", "inbox"),
    ("supervisor", "/supervision/", "supervision"),
    ("callback", "/callbacks/", "callbacks"),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_main_screens_fit_the_window(open_session, people, language, width):
    cast, order = people
    sessions = {}
    too_wide = []
    for who, path, name in SCREENS:
        if who not in sessions:
            session = open_session(getattr(cast, who).username, language=language, journey=f"layout-{width}-{language}")
            session.page.set_viewport_size(WIDTHS[width])
            sessions[who] = session
        session = sessions[who]
        page = session.go(path.format(order=order.pk))
        assert page.locator("html").get_attribute("lang") == language
        session.shot(name)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            too_wide.append((name, overflow))
    assert not too_wide, f"wider than the {width}px window (px too wide): {too_wide}"
