"""Traditional → simplified characters for tolerant matching of place names, insults and addresses.

A small table written by us, not a full converter: the characters used in the names of 青羊区's streets,
communities, roads and landmarks, in address words (号, 栋, 单元, 楼 …), in the neighbouring districts'
names, in the insult word list of ``routing.sensitive``, and the most frequent characters of citizens'
messages. One character maps to one character, so folding keeps every index of the text (the sensitive
detector reports positions in the original text). Ambiguous traditional forms whose simplified twin is
also an ordinary character with another meaning (乾, 著, 瞭 …) are left out on purpose.

Full conversion (OpenCC) would add a dependency for little gain here: names are short and fixed.
"""

from __future__ import annotations

# Each item: traditional, simplified.
# fmt: off
_PAIRS = """
靑青 陽阳 區区 華华 橋桥 龍龙 廣广 場场 東东 術术 門门 鍋锅 鑼锣 禦御 寶宝 長长 順顺 樹树 磯矶 飛飞
經经 灣湾 萬万 鵬鹏 騰腾 興兴 賓宾 壩坝 蘇苏 黃黄 遺遗 館馆 園园 業业 樓楼 臺台 檯台 號号 單单 棟栋
層层 廈厦 學学 醫医 會会 員员 縣县 鎮镇 鄉乡 環环 體体 車车 機机 貿贸 鐵铁 電电 達达 國国 際际 雙双
溫温 錦锦 驛驿 簡简 崍崃 歸归 橫横 豐丰 雲云 義义 後后 裡里 裏里 寬宽 莊庄 蓮莲 鳳凤 馬马 開开 關关
邊边 廳厅 廠厂 線线 圖图 書书 戶户 廟庙 觀观 實实 勝胜 紅红 牆墙 柵栅 匯汇 滙汇 宮宫 劇剧 濱滨 禮礼
龜龟 兒儿 媽妈 賤贱 貨货 腦脑 殘残 廢废 癡痴 雜杂 種种 豬猪 筆笔 瘋疯 滾滚 賣卖 讓让 們们 這这 說说
來来 時时 個个 為为 對对 從从 發发 報报 與与 處处 辦办 歲岁 齡龄 傷伤 費费 錢钱 價价 買买 紙纸 聯联
繫系 係系 聲声 擾扰 態态 網网 絡络 證证 許许 請请 問问 題题 應应 沒没 還还 現现 幾几 過过 麼么 嗎吗
點点 鐘钟 內内 氣气 燈灯 濟济 務务 財财 稅税 衛卫 藥药 療疗 顧顾 養养 壽寿 愛爱 親亲 農农 產产 讀读
鬧闹 鬥斗 級级 輛辆 碼码 頭头 勞劳 動动 資资 導导 總总 統统 計计 劃划 畫画 設设 備备 維维 護护 續续
認认 識识 議议 記记 錄录 連连 結结 據据 條条 權权 屬属 將将 軍军 倉仓 蔣蒋 鄭郑 劉刘 陳陈 楊杨 趙赵
吳吴 孫孙 韓韩 馮冯 鄧邓 蕭萧 謝谢 羅罗 葉叶 湯汤 閻阎 蘭兰 麗丽 靜静 偉伟 強强 傑杰 濤涛 僑侨 鳴鸣
灘滩 澤泽 漢汉 潔洁 淺浅 滿满 濕湿 滅灭 熱热 煙烟 燒烧 爐炉 異异 盡尽 監监 盤盘 確确 穩稳 競竞 節节
範范 築筑 簽签 糧粮 緊紧 紀纪 約约 納纳 純纯 細细 終终 組组 絕绝 給给 絲丝 綠绿 編编 練练 縮缩 績绩
繼继 纜缆 罰罚 習习 職职 聽听 脫脱 腳脚 藝艺 蟲虫 補补 製制 複复 見见 規规 視视 覺觉 訂订 訊讯 討讨
訪访 訴诉 診诊 評评 試试 詢询 詳详 誤误 誰谁 課课 調调 談谈 論论 諮咨 譯译 變变 負负 貧贫 責责 貴贵
賀贺 賠赔 質质 購购 趕赶 跡迹 軌轨 軟软 載载 輕轻 輸输 鄰邻 釋释 針针 銀银 銷销 鋪铺 錯错 鏡镜 鑰钥
閉闭 間间 閘闸 闆板 陣阵 陰阴 陸陆 險险 隊队 階阶 隨随 隱隐 雖虽 雞鸡 離离 難难 靈灵 響响 頂顶 項项
須须 預预 領领 額额 顏颜 風风 飯饭 飲饮 饋馈 騎骑 驗验 驚惊 髮发 鬆松 魚鱼 鳥鸟 鹽盐 麥麦 齊齐 齒齿
漿浆 壞坏 聖圣 畢毕 團团 圍围 塊块 墳坟 壓压 夢梦 奪夺 婦妇 嬰婴 寧宁 審审 寫写 尋寻 屆届 岡冈 峽峡
嶺岭 巖岩 幣币 幹干 廬庐 彎弯 徑径 復复 徵征 惡恶 悶闷 憂忧 懷怀 戲戏 戰战 擔担 擁拥 擠挤 擴扩 攤摊
敗败 數数 斷断 於于 昇升 曉晓 暫暂 曆历 歷历 殺杀 漲涨 潛潜 澆浇 濫滥 瀝沥 灑洒 災灾 爭争 牽牵 獎奖
狀状 猶犹 獄狱 獨独 瓏珑 畝亩 癢痒 盜盗 眾众 睏困 矯矫 礎础 禍祸 禪禅 禿秃 稱称 積积 穀谷 窮穷 竊窃
筍笋 簾帘 籃篮 紐纽 紮扎 紳绅 綁绑 緒绪 緩缓 繩绳 繳缴 罷罢 聞闻 腫肿 膽胆 臉脸 艙舱 蘋苹 虧亏 衝冲
裝装 襪袜 覽览 觸触 託托 訓训 詐诈 該该 誠诚 誕诞 謊谎 讚赞 豎竖 貓猫 賬账 賭赌 趨趋 踐践 蹤踪 輔辅
轉转 辭辞 遞递 邁迈 郵邮 醜丑 醬酱 鈔钞 鉤钩 銅铜 鋼钢 鍵键 鏈链 閃闪 閱阅 闊阔 陝陕 隸隶 韋韦 頁页
頓顿 頒颁 頸颈 頻频 顯显 颱台 飄飘 餘余 騙骗 騷骚 驅驱 髒脏 鬍胡 鹹咸 麵面 黨党 龐庞 貪贪 貸贷 賴赖
贈赠 鑒鉴
張张 盧卢 龔龚 譚谭 賈贾 鄒邹 閆闫 嚴严 喬乔 樂乐 蘆芦 鍾钟 聶聂 魯鲁 歐欧 駱骆
"""
# fmt: on

T2S: dict[str, str] = {pair[0]: pair[1] for pair in _PAIRS.split()}
