"""The demo zone's places, modeled on 常州经开区 as the article describes it.

Names of towns and streets are the real ones; villages and communities are plausible names for
the area (东方社区 is the article's). Grid counts are drawn from the seed so that they add up
to the article's 337 grids (one 网格党群直通站 each).
"""

DISTRICT = "常州经开区"
DISTRICT_ORG = "常州经开区党工委"
TOTAL_GRIDS = 337

# (name, kind, villages and communities)
TOWNS: list[tuple[str, str, list[str]]] = [
    (
        "戚墅堰街道",
        "street",
        [
            "东方社区",
            "大明社区",
            "工农社区",
            "红光社区",
            "建设社区",
            "东街社区",
            "新城社区",
            "丁香社区",
        ],
    ),
    (
        "丁堰街道",
        "street",
        ["丁堰社区", "长虹社区", "史家村", "三河口村", "塘桥村", "富强村", "华丰社区"],
    ),
    (
        "潞城街道",
        "street",
        ["潞城社区", "花园社区", "东村村", "五一村", "长征村", "梅港村", "潞横社区"],
    ),
    (
        "遥观镇",
        "town",
        [
            "遥观村",
            "剑湖村",
            "大成村",
            "洪庄村",
            "东方村",
            "塘洋村",
            "宋剑湖社区",
            "钱家塘村",
            "今创社区",
        ],
    ),
    (
        "横林镇",
        "town",
        [
            "横林村",
            "崔桥村",
            "江村村",
            "西崦村",
            "新东村",
            "东青村",
            "狄墅村",
            "余巷村",
            "横林社区",
            "崔北村",
        ],
    ),
    (
        "横山桥镇",
        "town",
        ["芙蓉村", "新安村", "五一村", "三皇庙村", "横山桥社区", "东方红村", "西崦社区"],
    ),
]

INDUSTRY_CHAIN_TOWN = "横林镇"
INDUSTRY_CHAIN_ORG = "绿色家居产业链党委"
INDUSTRY_CHAIN_FLOATING_BRANCH = "绿色家居产业链流动党支部"

# 8 "红磁场" floating-member branches: one per town, two in the towns with most migrant workers.
RED_MAGNET_BRANCHES = {
    "戚墅堰街道": 1,
    "丁堰街道": 1,
    "潞城街道": 1,
    "遥观镇": 2,
    "横林镇": 2,
    "横山桥镇": 1,
}
SCHOOL_BRANCHES = [
    ("常州工程职业技术学院驻学流动党员党支部", "潞城街道"),
    ("常州纺织服装职业技术学院驻学流动党员党支部", "遥观镇"),
    ("常州经开区职业教育中心驻学流动党员党支部", "戚墅堰街道"),
]
EXPRESS_COMMITTEE = "经开区快递物流行业党委"
SF_BRANCH = "顺丰速运经开区党支部"
RIDER_BRANCH = "遥观镇新就业群体党支部"
SERVICE_CENTRE = ("红石榴党群服务中心", "戚墅堰街道")
RED_POST_HOMES = 20
SERVICE_POINTS = 10
RED_MAGNET_HOMES = 30

EXTERNAL_ORGS = [
    ("中共三都水族自治县三洞乡石板村支部委员会", "贵州省黔南布依族苗族自治州三都水族自治县"),
    ("中共固始县段集镇党委", "河南省信阳市固始县"),
    ("中共宿松县凉亭镇党委", "安徽省安庆市宿松县"),
    ("中共兴化市戴南镇党委", "江苏省泰州市兴化市"),
    ("中共射阳县海河镇党委", "江苏省盐城市射阳县"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玉兰志文海燕晓东春"
STREET_WORDS = [
    "人民路",
    "和平路",
    "运河路",
    "五一路",
    "延陵路",
    "劳动路",
    "丁香路",
    "大明路",
    "横林大道",
    "遥观路",
    "潞城路",
    "芙蓉路",
    "东方路",
    "长虹路",
    "富民路",
]
GRID_SERVICES = ["党员报到", "政策咨询", "组织关系转接", "快递代收", "便民服务", "矛盾调解"]
RED_POST_SERVICES = ["快递随寄随取", "为老送餐", "代购药品", "跑腿代办", "临时看护"]
SERVICE_POINT_SERVICES = ["党员先锋岗", "风采展示墙", "红色阅读角", "临时看护", "便民团购"]
MAGNET_SERVICES = ["流动党员报到", "党组织关系转接", "政策咨询", "技能培训", "就业推介", "法律援助"]
CENTRE_SERVICES = [
    "党员报到",
    "党组织关系转接",
    "政策咨询",
    "技能培训（人社）",
    "就业推介（人社）",
    "法律援助（司法）",
    "市场主体登记指导（市监）",
    "心理疏导",
    "志愿服务对接",
]

# Where the zone lies on the map (WGS84), to draw rectangles for towns, villages and grids.
BOUNDS = (119.98, 31.70, 120.16, 31.82)
