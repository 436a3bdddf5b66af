from tests.factories import T0, drive, new_order


def test_main_path_reaches_closed(cast):
    order = new_order(cast)
    order = drive(cast, order, "closed", now=T0)
    assert order.state == "closed"
    assert order.events.filter(kind="close").exists()
