"""Demo articles of the knowledge base (data/demo_articles.txt: our own text), loaded through the actions.

File format: blocks separated by blank lines; the first line of a block is
``标题 | 分类编码 | 主管单位编码 | 材料类型 | 关键词（、分隔） | 其他问法（；分隔）`` and the second its text.
Lines starting with ``#`` are comments.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from .actions import ArticleInput, do_create_article, do_publish_article
from .models import Article

DATA = Path(__file__).with_name("data") / "demo_articles.txt"


def read_demo_articles(path: Path = DATA) -> list[ArticleInput]:
    """Return the demo articles as inputs of ``do_create_article``."""
    lines = [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    out: list[ArticleInput] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line.strip())
            continue
        if not block:
            continue
        if len(block) != 2:
            raise ValueError(f"a demo article needs a header line and a text line: {block[:1]}")
        title, category, unit, material, keywords, phrasings = (p.strip() for p in block[0].split("|"))
        out.append(
            ArticleInput(
                title=title,
                category=category,
                content=block[1],
                material_type=material,
                owner_unit=unit,
                keywords=keywords.split("、") if keywords else "",
                phrasings=phrasings.split("；") if phrasings else "",
            )
        )
        block = []
    return out


def seed_kb_demo(editor, *, now=None) -> int:
    """Create and publish the demo articles that do not exist yet (by title); return how many were added."""
    existing = set(Article.objects.values_list("title", flat=True))
    added = 0
    for data in read_demo_articles():
        if data.title in existing:
            continue
        with transaction.atomic():
            article = do_create_article(editor, data, now=now, note="demo content")
            do_publish_article(editor, article.pk, now=now)
        added += 1
    return added
