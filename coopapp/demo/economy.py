"""What each demo project earns: scale, seasonality, price, shares and payouts.

Amounts are yuan per year in 2024; `growth` is the yearly change after that.
The figures for 中洞村 (≈1.5M yuan of honey from 3,200 hives) and 八维村
(≈30,000 yuan a year of PV income for the collective) follow the design brief;
everything else is synthetic but plausible for Huidong.
"""

from dataclasses import dataclass, field

# Monthly shares of a year's activity (Jan…Dec, each row sums to 1).
BEES = (0.01, 0.01, 0.04, 0.22, 0.22, 0.06, 0.02, 0.01, 0.03, 0.17, 0.17, 0.04)  # spring + autumn honey
SUN = (0.065, 0.055, 0.06, 0.07, 0.085, 0.09, 0.115, 0.11, 0.10, 0.095, 0.08, 0.075)  # sunshine in Huizhou
TOURISM = (0.06, 0.14, 0.06, 0.08, 0.10, 0.06, 0.11, 0.12, 0.05, 0.12, 0.05, 0.05)  # holidays, summer
BEACH = (0.03, 0.08, 0.03, 0.05, 0.10, 0.10, 0.19, 0.20, 0.06, 0.11, 0.03, 0.02)
FLAT = (1 / 12,) * 12
LIVESTOCK = (0.12, 0.11, 0.07, 0.07, 0.07, 0.07, 0.07, 0.07, 0.08, 0.08, 0.09, 0.10)  # Spring Festival demand
POTATO = (0.05, 0.25, 0.40, 0.25, 0.05, 0, 0, 0, 0, 0, 0, 0)  # winter potatoes
LITCHI = (0, 0, 0, 0, 0.10, 0.50, 0.40, 0, 0, 0, 0, 0)
CITRUS = (0.35, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0.15, 0.45)
TEA = (0.02, 0.02, 0.20, 0.30, 0.18, 0.08, 0.04, 0.04, 0.04, 0.08, 0.0, 0.0)
MEICAI = (0.20, 0.18, 0.10, 0.06, 0.05, 0.05, 0.05, 0.05, 0.05, 0.06, 0.05, 0.10)  # dried 梅菜 sold all year
CAMELLIA = (0.05, 0.05, 0, 0, 0, 0, 0, 0, 0, 0.35, 0.45, 0.10)
SEAFOOD = (0.13, 0.12, 0.12, 0.11, 0.02, 0.02, 0.02, 0.06, 0.12, 0.10, 0.09, 0.09)  # summer fishing ban
VEGETABLES = (0.13, 0.12, 0.12, 0.10, 0.06, 0.04, 0.04, 0.04, 0.06, 0.08, 0.10, 0.11)
LOTUS = (0, 0, 0, 0, 0, 0.10, 0.30, 0.35, 0.20, 0.05, 0, 0)
BAMBOO = (0.25, 0.15, 0.20, 0.20, 0.05, 0, 0, 0, 0, 0, 0.05, 0.10)
FISH = (0.20, 0.15, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.08, 0.10, 0.12)


@dataclass(frozen=True)
class Payout:
    """Money paid to households: `kind`, to whom, and how much.

    to: "members" (by shares), "workers", "landowners", "poor" (formerly poor) or "all".
    ratio: of the month's output (purchase) or of the year's output or collective
    income (dividend, paid in December). yuan: a fixed amount per household per
    month (wage, welfare_job) or per year (rent, paid in January).
    """

    kind: str
    to: str
    ratio: float = 0.0
    yuan: int = 0
    count: int = 0  # how many workers / landowners / poor households


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    type: str
    product: str  # what the 摘要 (note) calls the output
    output: int  # yuan per year in 2024; 0 for pure income projects (rent)
    income: int  # collective income, yuan per year in 2024
    weights: tuple[float, ...] = FLAT
    growth: float = 1.0
    unit: str | None = None  # base unit of output quantities
    price: float = 0.0  # yuan per unit of output
    sales: float = 0.95  # of output
    cost: float = 0.40  # of output
    fixed_cost: int = 0  # yuan per month
    subsidy: int = 0  # yuan per year, paid in March and September
    capacity: int | None = None
    capacity_unit: str | None = None
    cooperative: str | None = None  # the cooperative's name without village, e.g. 中蜂养殖专业合作社
    member_share: float = 0.4  # share of the village's households that are members
    income_weights: tuple[float, ...] | None = None  # default: `weights`
    start: str = "2024-01"  # first month with activity
    payouts: tuple[Payout, ...] = field(default_factory=tuple)


# One project kind per entry; kept compact as a table (the formatter would give each argument a line).
# fmt: off
PROJECTS: dict[str, ProjectSpec] = {
    "zhongdong_bees": ProjectSpec(
        "中华蜂养殖", "beekeeping", "蜂蜜", 1_420_000, 113_000, BEES, growth=1.07, unit="kg", price=92,
        sales=0.93, cost=0.30, fixed_cost=9_000, subsidy=60_000, capacity=3200, capacity_unit="hive",
        cooperative="中蜂养殖专业合作社", member_share=0.55,
        payouts=(Payout("purchase", "members", ratio=0.42), Payout("dividend", "members", ratio=0.05),
                 Payout("wage", "workers", yuan=3_200, count=6)),
    ),
    "bawei_pv": ProjectSpec(
        "八维村光伏电站", "photovoltaic", "光伏发电", 52_000, 30_000, SUN, growth=1.005, unit="kWh", price=0.453,
        sales=1.0, cost=0.05, fixed_cost=450, capacity=100, capacity_unit="kW",
        payouts=(Payout("welfare_job", "poor", yuan=300, count=4),),
    ),
    # The cooperative pays its members; 八维村's collective income is the PV array's alone.
    "citrus": ProjectSpec(
        "沙糖桔种植", "planting", "沙糖桔", 420_000, 0, CITRUS, growth=0.86, unit="kg", price=4.6,
        cost=0.45, fixed_cost=3_000, capacity=300, capacity_unit="mu", cooperative="果蔬种植专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.45), Payout("rent", "landowners", yuan=1_500, count=12),
                 Payout("wage", "workers", yuan=2_600, count=3)),
    ),
    "ganxi_tourism": ProjectSpec(
        "红色旅游及观光", "tourism", "门票及餐饮", 1_050_000, 150_000, TOURISM, growth=1.18, unit="visit", price=45,
        sales=1.0, cost=0.50, fixed_cost=12_000, subsidy=100_000, capacity=40, capacity_unit="room",
        payouts=(Payout("wage", "workers", yuan=3_000, count=10), Payout("dividend", "all", ratio=0.12)),
    ),
    "ganxi_produce": ProjectSpec(
        "特色农产品种植", "planting", "高潭特色农产品", 380_000, 38_000, VEGETABLES, growth=1.07, unit="kg",
        price=9.5, capacity=180, capacity_unit="mu", cooperative="特色农产品专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.40), Payout("rent", "landowners", yuan=1_200, count=10)),
    ),
    "folk_tourism": ProjectSpec(
        "大湖洋民俗旅游村（筹建）", "tourism", "民俗体验", 40_000, 6_000, TOURISM, growth=1.6, unit="visit",
        price=30, sales=1.0, cost=0.70, fixed_cost=1_500, subsidy=50_000, start="2025-05",
        payouts=(Payout("wage", "workers", yuan=2_400, count=2),),
    ),
    "red_tourism_small": ProjectSpec(
        "中洞红色研学接待", "tourism", "研学接待", 60_000, 12_000, TOURISM, growth=1.12, unit="visit", price=55,
        sales=1.0, cost=0.55, payouts=(Payout("wage", "workers", yuan=2_800, count=2),),
    ),
    "property_rent_small": ProjectSpec(
        "村集体物业出租", "other", "物业租金", 0, 42_000, FLAT, growth=1.02, cost=0.0, fixed_cost=400,
        payouts=(Payout("welfare_job", "poor", yuan=400, count=2),),
    ),
    "property_rent_mid": ProjectSpec(
        "村集体厂房出租", "other", "厂房租金", 0, 160_000, FLAT, growth=0.93, fixed_cost=1_200,
        payouts=(Payout("welfare_job", "poor", yuan=500, count=3), Payout("dividend", "all", ratio=0.15)),
    ),
    "property_rent_large": ProjectSpec(
        "村集体商铺及厂房出租", "other", "物业租金", 0, 520_000, FLAT, growth=1.06, fixed_cost=3_500,
        payouts=(Payout("welfare_job", "poor", yuan=600, count=4), Payout("dividend", "all", ratio=0.20)),
    ),
    "vegetables": ProjectSpec(
        "供深蔬菜基地", "planting", "蔬菜", 900_000, 72_000, VEGETABLES, growth=1.11, unit="kg", price=4.2,
        cost=0.55, fixed_cost=6_000, capacity=420, capacity_unit="mu", cooperative="蔬菜种植专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.35), Payout("rent", "landowners", yuan=1_400, count=16),
                 Payout("wage", "workers", yuan=2_800, count=6)),
    ),
    "vegetables_small": ProjectSpec(
        "蔬菜种植", "planting", "蔬菜", 210_000, 18_000, VEGETABLES, growth=0.95, unit="kg", price=3.8,
        cost=0.55, capacity=90, capacity_unit="mu", cooperative="蔬菜种植专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.40), Payout("rent", "landowners", yuan=1_000, count=6)),
    ),
    "chicken": ProjectSpec(
        "走地鸡养殖", "livestock", "走地鸡", 480_000, 36_000, LIVESTOCK, growth=1.04, unit="kg", price=32,
        cost=0.62, capacity=12_000, capacity_unit="head", cooperative="家禽养殖专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.30), Payout("wage", "workers", yuan=2_600, count=3)),
    ),
    "pig": ProjectSpec(
        "生猪养殖", "livestock", "生猪", 1_300_000, 55_000, LIVESTOCK, growth=0.82, unit="kg", price=16,
        cost=0.78, fixed_cost=5_000, capacity=1_500, capacity_unit="head", cooperative="生猪养殖专业合作社",
        payouts=(Payout("wage", "workers", yuan=3_400, count=5), Payout("dividend", "members", ratio=0.02)),
    ),
    "black_goat": ProjectSpec(
        "黑山羊养殖", "livestock", "黑山羊", 360_000, 28_000, LIVESTOCK, growth=1.08, unit="kg", price=68,
        cost=0.55, capacity=600, capacity_unit="head", cooperative="黑山羊养殖专业合作社", member_share=0.3,
        payouts=(Payout("dividend", "members", ratio=0.06), Payout("wage", "workers", yuan=2_700, count=2)),
    ),
    "potato": ProjectSpec(
        "冬种马铃薯", "planting", "马铃薯", 640_000, 40_000, POTATO, growth=1.05, unit="kg", price=3.2,
        cost=0.50, capacity=500, capacity_unit="mu", cooperative="马铃薯种植专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.45), Payout("rent", "landowners", yuan=1_300, count=14)),
    ),
    "litchi": ProjectSpec(
        "荔枝种植", "planting", "荔枝", 260_000, 16_000, LITCHI, growth=0.78, unit="kg", price=9,
        cost=0.50, capacity=220, capacity_unit="mu", cooperative="荔枝种植专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.50),),
    ),
    "meicai": ProjectSpec(
        "惠东梅菜加工", "planting", "梅菜", 1_150_000, 95_000, MEICAI, growth=1.13, unit="kg", price=14,
        cost=0.55, fixed_cost=8_000, subsidy=80_000, capacity=650, capacity_unit="mu",
        cooperative="梅菜产销专业合作社", member_share=0.5,
        payouts=(Payout("purchase", "members", ratio=0.35), Payout("dividend", "members", ratio=0.03),
                 Payout("wage", "workers", yuan=3_000, count=8)),
    ),
    "seafood": ProjectSpec(
        "海产品加工销售", "other", "海产品", 720_000, 48_000, SEAFOOD, growth=0.97, unit="kg", price=38,
        cost=0.60, fixed_cost=4_000, cooperative="渔业专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.40), Payout("wage", "workers", yuan=2_900, count=4)),
    ),
    "lotus": ProjectSpec(
        "莲藕种植", "planting", "莲藕", 230_000, 17_000, LOTUS, growth=1.21, unit="kg", price=6,
        cost=0.45, capacity=150, capacity_unit="mu", cooperative="莲藕种植专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.45), Payout("rent", "landowners", yuan=900, count=8)),
    ),
    "beach_tourism": ProjectSpec(
        "滨海休闲旅游", "tourism", "门票及餐饮", 1_600_000, 210_000, BEACH, growth=1.15, unit="visit", price=80,
        sales=1.0, cost=0.55, fixed_cost=15_000,
        payouts=(Payout("wage", "workers", yuan=3_300, count=10), Payout("dividend", "all", ratio=0.10)),
    ),
    "beach_tourism_mid": ProjectSpec(
        "渔村民宿及海钓", "tourism", "民宿及海钓", 540_000, 70_000, BEACH, growth=0.90, unit="visit", price=120,
        sales=1.0, cost=0.50, capacity=45, capacity_unit="room",
        payouts=(Payout("wage", "workers", yuan=3_000, count=4),),
    ),
    "homestay": ProjectSpec(
        "巽寮湾民宿集群", "tourism", "民宿", 2_300_000, 300_000, BEACH, growth=1.08, unit="visit", price=260,
        sales=1.0, cost=0.55, fixed_cost=20_000, capacity=180, capacity_unit="room",
        cooperative="民宿旅游专业合作社",
        payouts=(Payout("dividend", "members", ratio=0.06), Payout("wage", "workers", yuan=3_500, count=12),
                 Payout("rent", "landowners", yuan=6_000, count=10)),
    ),
    "tea": ProjectSpec(
        "高山茶叶种植", "planting", "茶叶", 520_000, 36_000, TEA, growth=1.10, unit="kg", price=160,
        cost=0.45, capacity=260, capacity_unit="mu", cooperative="茶叶专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.40), Payout("wage", "workers", yuan=2_600, count=4)),
    ),
    "camellia": ProjectSpec(
        "油茶种植", "planting", "茶油", 190_000, 14_000, CAMELLIA, growth=1.25, unit="kg", price=120,
        cost=0.40, capacity=400, capacity_unit="mu", cooperative="油茶种植专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.40), Payout("rent", "landowners", yuan=800, count=10)),
    ),
    "bees_small": ProjectSpec(
        "中华蜂养殖", "beekeeping", "蜂蜜", 230_000, 15_000, BEES, growth=1.06, unit="kg", price=88,
        cost=0.30, fixed_cost=1_500, capacity=520, capacity_unit="hive", cooperative="中蜂养殖专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.45),),
    ),
    "bees_mid": ProjectSpec(
        "中华蜂养殖", "beekeeping", "蜂蜜", 610_000, 42_000, BEES, growth=0.91, unit="kg", price=90,
        cost=0.32, fixed_cost=3_500, capacity=1_350, capacity_unit="hive", cooperative="中蜂养殖专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.45), Payout("dividend", "members", ratio=0.04)),
    ),
    "pv_small": ProjectSpec(
        "村级光伏电站", "photovoltaic", "光伏发电", 31_000, 18_000, SUN, growth=0.99, unit="kWh", price=0.453,
        sales=1.0, cost=0.05, fixed_cost=300, capacity=60, capacity_unit="kW",
        payouts=(Payout("welfare_job", "poor", yuan=250, count=2),),
    ),
    "pv_mid": ProjectSpec(
        "屋顶分布式光伏", "photovoltaic", "光伏发电", 104_000, 60_000, SUN, growth=1.01, unit="kWh", price=0.453,
        sales=1.0, cost=0.05, fixed_cost=700, capacity=200, capacity_unit="kW",
        payouts=(Payout("welfare_job", "poor", yuan=350, count=5),),
    ),
    "reservoir_fish": ProjectSpec(
        "白盆珠水库生态鱼", "livestock", "生态鱼", 450_000, 34_000, FISH, growth=1.03, unit="kg", price=26,
        cost=0.55, cooperative="生态渔业专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.35), Payout("wage", "workers", yuan=2_700, count=3)),
    ),
    "bamboo": ProjectSpec(
        "竹笋种植", "planting", "竹笋", 170_000, 12_000, BAMBOO, growth=0.85, unit="kg", price=7,
        cost=0.40, capacity=300, capacity_unit="mu", cooperative="竹笋专业合作社",
        payouts=(Payout("purchase", "members", ratio=0.50),),
    ),
}
# fmt: on
