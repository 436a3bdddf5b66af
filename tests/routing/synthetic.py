"""Small synthetic requests for the routing tests, written for this project (no shared data).

Three matters with their own words: school admission (EDU-01, 区教育局, consult), uncollected rubbish
(CMG-02, 区综合执法局, complaint) and neighbour noise (ENV-02-01, 属地: 草市街街道, complaint).
"""

from __future__ import annotations

import itertools

EDU_SUBJECTS = ["咨询小学入学报名", "幼升小入学材料", "孩子转学手续咨询", "初中划片入学问题", "小升初招生政策"]
EDU_DETAILS = [
    "孩子今年满六岁，想问一年级入学报名需要准备哪些材料，户口本和房产证是否都要。",
    "我们刚搬来，孩子想转学到附近的小学，请问学籍怎么转，学校还有学位吗？",
    "请问今年的划片范围什么时候公布，随迁子女入学需要居住证吗？",
    "孩子明年小升初，想了解招生政策和报名时间，网上报名在哪个平台？",
]
CMG_SUBJECTS = ["垃圾无人清运", "垃圾桶满溢发臭", "小区门口垃圾堆积", "街边垃圾没人收", "环卫清扫不及时"]
CMG_DETAILS = [
    "路口的垃圾桶已经满了三天没有人清运，臭味很大，苍蝇很多，请环卫尽快处理。",
    "小区外面的垃圾堆成了小山，一直没人收走，夏天发臭，居民意见很大。",
    "这条街的环卫工人好几天没来清扫，落叶和垃圾到处都是，影响市容。",
    "垃圾清运车每天早上五点收垃圾，但最近一周都没来，垃圾站满溢。",
]
NOISE_SUBJECTS = ["楼上邻居深夜噪音", "邻居装修噪音扰民", "广场舞音响太吵", "隔壁半夜唱歌", "楼下商户音响扰民"]
NOISE_DETAILS = [
    "楼上邻居每天深夜十二点还在跺脚拖椅子，吵得老人孩子无法休息，沟通多次无果。",
    "小区里每天晚上广场舞音响开得很大声，一直跳到十点，严重影响休息。",
    "隔壁住户半夜在家唱歌喝酒，声音很大，敲门提醒也不理会，希望社区协调。",
    "邻居周末一大早就开始装修电钻，噪音很大，已经持续一个多月。",
]

EDU_CATEGORY, CMG_CATEGORY, NOISE_CATEGORY = "EDU-01", "CMG-02", "ENV-02-01"


def _pairs(subjects, details, n):
    return list(itertools.islice(itertools.cycle(itertools.product(subjects, details)), n))


def requests(per_matter: int = 20) -> list[dict]:
    """Return ``3 × per_matter`` requests: subject, text, category, request type, lead unit code."""
    out = []
    for i, (s, d) in enumerate(_pairs(EDU_SUBJECTS, EDU_DETAILS, per_matter)):
        out.append(dict(subject=s, text=f"{d}（{i}）", category=EDU_CATEGORY, request_type="consult", lead="QY-D-EDU"))
    for i, (s, d) in enumerate(_pairs(CMG_SUBJECTS, CMG_DETAILS, per_matter)):
        out.append(dict(subject=s, text=f"{d}（{i}）", category=CMG_CATEGORY, request_type="complaint", lead="QY-D-CM"))
    for i, (s, d) in enumerate(_pairs(NOISE_SUBJECTS, NOISE_DETAILS, per_matter)):
        out.append(
            dict(subject=s, text=f"{d}（{i}）", category=NOISE_CATEGORY, request_type="complaint", lead="510105002")
        )
    return out


def texts_and_labels(per_matter: int = 20, label: str = "category") -> tuple[list[str], list[str]]:
    rows = requests(per_matter)
    return [f"{r['subject']}\n{r['text']}" for r in rows], [r[label] for r in rows]
