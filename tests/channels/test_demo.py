from django.utils import timezone

from yihaotong.channels.demo import seed_channels_demo
from yihaotong.channels.models import Platform, Transfer


def test_demo_platforms_and_transfers(present):
    counts = seed_channels_demo(timezone.now(), count=6)
    assert counts == {"platforms": 3, "transfers": 6}
    assert Platform.objects.get(code="mayor").account.username == "integration"
    assert seed_channels_demo(timezone.now(), count=6)["transfers"] == 0  # idempotent
    assert Transfer.objects.count() == 6
