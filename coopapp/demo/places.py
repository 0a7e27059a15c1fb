"""The demo's area tree: Huidong County, its 16 towns and the demo villages.

Huidong's county code 441323 is the real statistical division code. The town,
village and group codes below it are NOT the official ones: they are made up in
the official shape (9, 12 and 15 digits). 中洞村, 八维村, 甘溪村, 碧山村 and
大湖洋村民小组 are the real places named in the design brief; every other
village and group name here is synthetic.
"""

from dataclasses import dataclass

COUNTY = ("441323", "惠东县")

# (code, name): the 16 towns, sub-districts (街道) and resort zones (度假区).
TOWNS = (
    ("441323001", "平山街道"),
    ("441323002", "大岭街道"),
    ("441323101", "白花镇"),
    ("441323102", "梁化镇"),
    ("441323103", "稔山镇"),
    ("441323104", "铁涌镇"),
    ("441323105", "平海镇"),
    ("441323106", "吉隆镇"),
    ("441323107", "多祝镇"),
    ("441323108", "黄埠镇"),
    ("441323109", "白盆珠镇"),
    ("441323110", "高潭镇"),
    ("441323111", "宝口镇"),
    ("441323112", "安墩镇"),
    ("441323401", "巽寮滨海旅游度假区"),
    ("441323402", "港口滨海旅游度假区"),
)

ZHONGDONG = "441323110201"
BAWEI = "441323107203"
GANXI = "441323110202"
BISHAN = "441323001201"

# Synthetic group names (村民小组); 大湖洋 is the real one of 碧山村.
GROUP_NAMES = (
    "上围",
    "下围",
    "新屋",
    "老屋",
    "坑尾",
    "塘背",
    "岭下",
    "水口",
    "田心",
    "石陂",
    "禾坪",
    "竹园",
    "松岗",
    "排头",
    "寨背",
    "墩头",
    "社前",
    "洋坑",
    "坝下",
    "圳头",
)


@dataclass(frozen=True)
class VillageSpec:
    """A demo village: where it is, how big, and which projects it runs."""

    code: str
    name: str
    households: int
    groups: int
    projects: tuple[str, ...]  # keys of economy.PROJECTS
    general_branch: bool = False  # 党总支 rather than 党支部
    fixed_groups: tuple[str, ...] = ()


VILLAGES = (
    # 平山街道
    VillageSpec(BISHAN, "碧山村", 64, 4, ("folk_tourism", "property_rent_small"), fixed_groups=("大湖洋村民小组",)),
    VillageSpec("441323001202", "东岭村", 88, 5, ("property_rent_large", "vegetables")),
    # 大岭街道
    VillageSpec("441323002201", "塘尾村", 72, 4, ("property_rent_mid", "chicken")),
    # 白花镇
    VillageSpec("441323101201", "石陂村", 95, 5, ("potato", "pv_small")),
    VillageSpec("441323101202", "禾坑村", 46, 3, ("black_goat",)),
    # 梁化镇
    VillageSpec("441323102201", "长排村", 104, 5, ("meicai", "pv_mid"), general_branch=True),
    VillageSpec("441323102202", "梅林村", 38, 2, ("litchi",)),
    # 稔山镇
    VillageSpec("441323103201", "沙岗村", 83, 4, ("seafood", "pv_mid")),
    VillageSpec("441323103202", "新塘村", 57, 3, ("vegetables_small",)),
    # 铁涌镇
    VillageSpec("441323104201", "莲塘村", 69, 4, ("lotus", "property_rent_small")),
    # 平海镇
    VillageSpec("441323105201", "渔湾村", 92, 5, ("beach_tourism", "seafood")),
    # 吉隆镇
    VillageSpec("441323106201", "竹园村", 61, 3, ("potato", "chicken", "property_rent_small")),
    # 黄埠镇
    VillageSpec("441323108201", "白石村", 78, 4, ("property_rent_large", "pig")),
    # 多祝镇
    VillageSpec(BAWEI, "八维村", 76, 4, ("bawei_pv", "citrus")),
    VillageSpec("441323107201", "上坪村", 52, 3, ("tea", "bees_small")),
    VillageSpec("441323107202", "田心村", 34, 2, ("camellia",)),
    # 白盆珠镇
    VillageSpec("441323109201", "水口村", 49, 3, ("reservoir_fish", "pv_small")),
    VillageSpec("441323109202", "石门村", 31, 2, ("bees_small",)),
    # 高潭镇
    VillageSpec(ZHONGDONG, "中洞村", 118, 6, ("zhongdong_bees", "red_tourism_small"), general_branch=True),
    VillageSpec(GANXI, "甘溪村", 86, 4, ("ganxi_tourism", "ganxi_produce")),
    VillageSpec("441323110203", "新联村", 43, 3, ("bees_mid", "camellia")),
    # 宝口镇
    VillageSpec("441323111201", "松岗村", 58, 3, ("black_goat", "bamboo")),
    # 安墩镇
    VillageSpec("441323112201", "凤坑村", 66, 4, ("tea", "pv_small")),
    VillageSpec("441323112202", "黄竹村", 40, 2, ("bees_mid",)),
    # 巽寮滨海旅游度假区
    VillageSpec("441323401201", "下围村", 112, 6, ("homestay", "property_rent_large"), general_branch=True),
    # 港口滨海旅游度假区
    VillageSpec("441323402201", "海滨村", 81, 4, ("beach_tourism_mid", "seafood")),
)
